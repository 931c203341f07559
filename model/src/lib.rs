//! Kernel and UART model (placeholder).
