int tern_kernels_placeholder(void);
