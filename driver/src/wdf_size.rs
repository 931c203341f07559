//! `WDF_STRUCTURE_SIZE` for the hand-filled WDF configuration structures.
//!
//! The `WDF_*_INIT` helpers of the C headers are inline functions that bindgen does not generate,
//! so the glue fills the structures itself. KMDF checks `Size` against the layout of the version
//! the driver was built for; `size_of` of the bindgen struct is that layout.

use wdk_sys::ULONG;

/// `size_of::<T>()` as the `ULONG` the `Size` fields hold. Use it in a `const` so the range check
/// runs at compile time.
pub(crate) const fn wdf_size_of<T>() -> ULONG {
    let size = core::mem::size_of::<T>();
    assert!(
        size <= ULONG::MAX as usize,
        "a WDF structure larger than 4 GiB"
    );
    size as ULONG
}
