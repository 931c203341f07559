//! Build script: on a Windows host building for a Windows target, hands the build to `wdk-build`
//! (WDK link search paths, `/DRIVER /KERNEL /ENTRY:FxDriverEntry` and the `driver_model__*` cfgs
//! that gate `wdk-sys`). Everywhere else it does nothing, so the workspace builds on Linux.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    // `cfg(windows)` here describes the host (the build-dependency exists only on Windows hosts);
    // CARGO_CFG_TARGET_OS describes the target being built.
    #[cfg(any(windows, feature = "any-host-wdk-build"))]
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows") {
        wdk_build::configure_wdk_binary_build()?;
    }
    Ok(())
}
