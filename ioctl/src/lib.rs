//! The serial-port user/kernel ABI (placeholder: filled in by the ioctl work).
#![no_std]
