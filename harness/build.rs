//! The built-in suite is embedded with `include_dir!`, which cargo cannot see into: rebuild the
//! crate whenever a scenario file is added, removed or edited.

fn main() {
    println!("cargo::rerun-if-changed=scenarios");
}
