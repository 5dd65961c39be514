//! The build script of both Rust firmwares (`build = "../firmware-common/build.rs"`): puts the
//! crate's linker scripts (its `*.x`: `memory.x` for cortex-m-rt's `link.x` in
//! examples/firmware, a `link.x` of its own in examples/riscv-firmware) where the linker finds
//! them, and links with `link.x` (here rather than in `.cargo/config.toml`, so that a
//! `RUSTFLAGS` set by CI does not drop it).

use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    // Cargo runs build scripts in the package's folder.
    for entry in fs::read_dir(".").expect("read the package folder") {
        let path = entry.expect("read the package folder").path();
        if path.extension().is_some_and(|e| e == "x") {
            let name = path.file_name().expect("a file name");
            fs::copy(&path, out.join(name)).expect("copy a linker script");
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
}
