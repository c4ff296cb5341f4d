"""The README opens with exactly two commands (demo, tests), and CI runs the second one."""
import os
import re

ROOT = os.path.join(os.path.dirname(__file__), '..')


def _read(*path):
    with open(os.path.join(ROOT, *path)) as f:
        return f.read()


def test_readme_opens_with_demo_and_test_commands_and_ci_runs_the_test_command():
    first_block = re.search(r'```(?:sh|bash)?\n(.*?)```', _read('README.md'), re.S).group(1)
    commands = [l for l in first_block.splitlines() if l.strip() and not l.startswith('#')]
    assert len(commands) == 2, commands
    assert 'examples/' in commands[0] and 'pytest' in commands[1]
    ci_lines = [l for l in _read('.ci', 'run').splitlines() if l.strip() and not l.startswith('#')]
    assert ci_lines[-1] == commands[1]
