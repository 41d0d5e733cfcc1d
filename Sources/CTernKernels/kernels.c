int tern_kernels_placeholder(void) { return 0; }
