"""scikit-learn wrappers (Keras 1.2.2 keras.wrappers): see symkeras.wrappers.scikit_learn."""
