//! Reading and writing request structures from and to raw `METHOD_BUFFERED` buffers.
//!
//! Both functions implement the "buffer shorter than the struct" gate (serial-semantics §1):
//! a short buffer is `STATUS_BUFFER_TOO_SMALL`, a longer one is fine, and alignment does not matter.

use bytemuck::Pod;

use crate::status::NtStatus;

/// Reads a `T` from the first `size_of::<T>()` bytes of `input`, at any alignment.
///
/// # Errors
/// [`NtStatus::BUFFER_TOO_SMALL`] when `input` is shorter than `T`.
pub fn decode<T: Pod>(input: &[u8]) -> Result<T, NtStatus> {
    let bytes = input
        .get(..size_of::<T>())
        .ok_or(NtStatus::BUFFER_TOO_SMALL)?;
    bytemuck::try_pod_read_unaligned(bytes).map_err(|_| NtStatus::BUFFER_TOO_SMALL)
}

/// Writes `value` into the first `size_of::<T>()` bytes of `output` and returns that length
/// (the request's Information). Bytes after it are left untouched.
///
/// # Errors
/// [`NtStatus::BUFFER_TOO_SMALL`] when `output` is shorter than `T`; `output` is then unchanged.
pub fn encode<T: Pod>(value: &T, output: &mut [u8]) -> Result<usize, NtStatus> {
    let source = bytemuck::bytes_of(value);
    let target = output
        .get_mut(..source.len())
        .ok_or(NtStatus::BUFFER_TOO_SMALL)?;
    target.copy_from_slice(source);
    Ok(source.len())
}
