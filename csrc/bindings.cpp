// symkeras._core: the runtime (Program), the kernel table and the thread setting.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <omp.h>

#include "kernels/opcodes.hpp"
#include "runtime/program.hpp"
#include "runtime/registry.hpp"

namespace py = pybind11;
using namespace sk;

PYBIND11_MODULE(_core, m) {
    m.doc() = "symkeras runtime: programs of C++/OpenMP kernels over a buffer arena";

    py::class_<OutputSpec>(m, "OutputSpec")
        .def(py::init([](std::vector<py::ssize_t> shape, py::dtype dt) { return OutputSpec{shape, dt}; }));

    py::class_<BufSpec>(m, "BufSpec")
        .def(py::init([](int kind, int64_t index, int64_t nbytes) { return BufSpec{kind, index, nbytes}; }));

    static py::exception<std::runtime_error> kernel_error_type(m, "KernelError", PyExc_RuntimeError);
    kernel_error = kernel_error_type.ptr();

    py::class_<Program, std::shared_ptr<Program>>(m, "Program")
        .def(py::init<std::vector<BufSpec>, int64_t, std::vector<py::array>, std::vector<py::array>,
                      std::vector<OutputSpec>, int>())
        .def("add", &Program::add)
        .def("add_callback", &Program::add_callback)
        .def("add_loop", &Program::add_loop, "Run body programs (one per part of the batch) once per step (see runtime/loop.hpp).")
        .def("run", &Program::run, py::arg("inputs"), py::arg("step") = 0,
             "Run the program; a failing kernel raises KernelError(message, instruction index).")
        .def_readwrite("profile", &Program::profile)
        .def_readonly("instr_seconds", &Program::instr_seconds)
        .def_property_readonly("arena_bytes", &Program::arena_bytes)
        .def_property_readonly("work_bytes", &Program::work_bytes)
        .def_property_readonly("kernels", &Program::kernels)
        .def("__len__", &Program::size);

    m.def("kernel_names", [] {
        std::vector<std::string> names;
        for (auto& k : kernel_table()) names.push_back(k.name);
        return names;
    }, "Names of the registered kernels, indexed by kernel id.");
    m.def("opcodes", &opcode_names, "Elementwise opcode names of a family ('unary' or 'binary').");
    m.def("set_num_threads", [](int n) { omp_set_num_threads(n); });
    m.def("set_parallel_policy", [](int64_t cheap, int64_t costly, double gemm_flops) {
        parallel_policy() = ParallelPolicy{cheap, costly, gemm_flops};
    }, py::arg("cheap_elems"), py::arg("costly_elems"), py::arg("gemm_flops"),
       "Sizes above which kernels use several threads (see csrc/runtime/kernel.hpp).");
    m.def("parallel_policy", [] {
        auto& p = parallel_policy();
        return py::make_tuple(p.cheap_elems, p.costly_elems, p.gemm_flops);
    });
    m.def("get_num_threads", [] { return omp_get_max_threads(); });
}
