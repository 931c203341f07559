//! Checks a linked `serial16550.sys` against what `driver/README.md` says it is, so the document
//! and the binary cannot drift apart:
//!
//! - a PE32+ image for AMD64, subsystem NATIVE, entry point `FxDriverEntry` (its address read
//!   from the linker's map file);
//! - imports only from `ntoskrnl.exe`, `HAL.dll` and `WDFLDR.SYS`;
//! - the import table equal to the README's "Imports of the image" table (an import the table
//!   does not list fails, and so does a listed function that is not imported);
//! - every kernel routine the README names in backticks (`KeSetTimer`, `IoQueueWorkItem`, …) among
//!   the imports, so the boundary table cannot name a DDI the image does not call.
//!
//! Usage: `serial-image-check <image.sys> <image.map> <driver/README.md>`; exit code 1 lists
//! every mismatch.

use std::collections::BTreeSet;
use std::process::ExitCode;

use object::LittleEndian as LE;
use object::pe;
use object::read::pe::{ImageNtHeaders, ImageOptionalHeader, PeFile64};

/// The modules a KMDF driver may import from.
const ALLOWED_MODULES: [&str; 3] = ["ntoskrnl.exe", "HAL.dll", "WDFLDR.SYS"];

/// Prefixes of kernel routines: a backticked README word with one of these, followed by an
/// upper-case letter, names a routine the image must import.
const KERNEL_PREFIXES: [&str; 9] = ["Ke", "Io", "Ex", "Rtl", "Ob", "Mm", "Ps", "Zw", "Hal"];

/// The heading of the README section that lists the imports.
const IMPORTS_HEADING: &str = "## Imports of the image";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Import {
    module: String,
    function: String,
}

#[derive(Debug)]
struct Image {
    is_amd64: bool,
    subsystem: u16,
    entry_rva: u32,
    image_base: u64,
    imports: BTreeSet<Import>,
}

fn read_image(data: &[u8]) -> Result<Image, String> {
    let file = PeFile64::parse(data).map_err(|e| format!("not a PE32+ image: {e}"))?;
    let nt = file.nt_headers();
    let optional = nt.optional_header();
    let mut imports = BTreeSet::new();
    if let Some(table) = file
        .import_table()
        .map_err(|e| format!("import table: {e}"))?
    {
        let mut descriptors = table
            .descriptors()
            .map_err(|e| format!("import descriptors: {e}"))?;
        while let Some(descriptor) = descriptors
            .next()
            .map_err(|e| format!("import descriptor: {e}"))?
        {
            let module = table
                .name(descriptor.name.get(LE))
                .map_err(|e| format!("import module name: {e}"))?;
            let module = String::from_utf8_lossy(module).into_owned();
            let mut thunks = table
                .thunks(descriptor.original_first_thunk.get(LE))
                .map_err(|e| format!("import thunks of {module}: {e}"))?;
            while let Some(thunk) = thunks
                .next::<pe::ImageNtHeaders64>()
                .map_err(|e| format!("import thunk of {module}: {e}"))?
            {
                let function = match table
                    .import::<pe::ImageNtHeaders64>(thunk)
                    .map_err(|e| format!("import of {module}: {e}"))?
                {
                    object::read::pe::Import::Name(_, name) => {
                        String::from_utf8_lossy(name).into_owned()
                    }
                    object::read::pe::Import::Ordinal(ordinal) => format!("#{ordinal}"),
                };
                imports.insert(Import {
                    module: module.clone(),
                    function,
                });
            }
        }
    }
    Ok(Image {
        is_amd64: nt.file_header().machine.get(LE) == pe::IMAGE_FILE_MACHINE_AMD64,
        subsystem: optional.subsystem(),
        entry_rva: optional.address_of_entry_point(),
        image_base: optional.image_base(),
        imports,
    })
}

/// The address lld-link's map file gives `symbol` (the `Rva+Base` column).
fn map_address(map: &str, symbol: &str) -> Option<u64> {
    map.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        let _section_offset = words.next()?;
        if words.next()? != symbol {
            return None;
        }
        u64::from_str_radix(words.next()?, 16).ok()
    })
}

/// The README's "Imports of the image" table: rows of `` | `module` | `Function` | why | ``.
fn documented_imports(readme: &str) -> Result<BTreeSet<Import>, String> {
    let section = readme
        .split_once(IMPORTS_HEADING)
        .map(|(_, rest)| rest)
        .ok_or_else(|| format!("no \"{IMPORTS_HEADING}\" section"))?;
    let section = section.split("\n## ").next().unwrap_or(section);
    let mut imports = BTreeSet::new();
    for line in section.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (Some(module), Some(function)) = (cells.get(1), cells.get(2)) else {
            continue;
        };
        let (Some(module), Some(function)) = (backticked(module), backticked(function)) else {
            continue; // header and separator rows
        };
        imports.insert(Import {
            module: module.to_owned(),
            function: function.to_owned(),
        });
    }
    if imports.is_empty() {
        return Err(format!("the \"{IMPORTS_HEADING}\" table lists nothing"));
    }
    Ok(imports)
}

fn backticked(cell: &str) -> Option<&str> {
    cell.strip_prefix('`')?.strip_suffix('`')
}

/// Every backticked word of the README that names a kernel routine.
fn named_kernel_routines(readme: &str) -> BTreeSet<String> {
    readme
        .split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|quoted| {
            // `KeSetTimer(timer[kind], …)` names KeSetTimer.
            let name: String = quoted
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `IoStatus.Information` is a field path, not a routine.
            if quoted[name.len()..].starts_with('.') {
                return None;
            }
            let is_kernel = KERNEL_PREFIXES.iter().any(|prefix| {
                name.strip_prefix(prefix)
                    .and_then(|rest| rest.chars().next())
                    .is_some_and(|c| c.is_ascii_uppercase())
            });
            is_kernel.then_some(name)
        })
        .collect()
}

fn check(image: &Image, map: &str, readme: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if !image.is_amd64 {
        problems.push("machine is not AMD64".to_owned());
    }
    if image.subsystem != pe::IMAGE_SUBSYSTEM_NATIVE {
        problems.push(format!("subsystem {} is not NATIVE (1)", image.subsystem));
    }
    match map_address(map, "FxDriverEntry") {
        None => problems.push("FxDriverEntry is not in the map file".to_owned()),
        Some(address) => {
            if address.checked_sub(image.image_base) != Some(u64::from(image.entry_rva)) {
                problems.push(format!(
                    "entry point RVA {:#x} is not FxDriverEntry ({address:#x} - base {:#x})",
                    image.entry_rva, image.image_base
                ));
            }
        }
    }
    for import in &image.imports {
        if !ALLOWED_MODULES
            .iter()
            .any(|m| m.eq_ignore_ascii_case(&import.module))
        {
            problems.push(format!(
                "imports {} from {}, which a KMDF driver must not use",
                import.function, import.module
            ));
        }
    }
    match documented_imports(readme) {
        Err(e) => problems.push(format!("driver/README.md: {e}")),
        Ok(documented) => {
            for import in image.imports.difference(&documented) {
                problems.push(format!(
                    "{}!{} is imported but not listed in the README's imports table",
                    import.module, import.function
                ));
            }
            for import in documented.difference(&image.imports) {
                problems.push(format!(
                    "{}!{} is listed in the README's imports table but not imported",
                    import.module, import.function
                ));
            }
        }
    }
    let imported: BTreeSet<&str> = image.imports.iter().map(|i| i.function.as_str()).collect();
    for routine in named_kernel_routines(readme) {
        if !imported.contains(routine.as_str()) {
            problems.push(format!(
                "driver/README.md names `{routine}`, which the image does not import"
            ));
        }
    }
    problems
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [image_path, map_path, readme_path] = args.as_slice() else {
        eprintln!("usage: serial-image-check <image.sys> <image.map> <driver/README.md>");
        return ExitCode::from(2);
    };
    let read = |path: &str| std::fs::read(path).map_err(|e| format!("{path}: {e}"));
    let inputs = (|| -> Result<_, String> {
        let image = read_image(&read(image_path)?)?;
        let map = String::from_utf8_lossy(&read(map_path)?).into_owned();
        let readme = String::from_utf8_lossy(&read(readme_path)?).into_owned();
        Ok((image, map, readme))
    })();
    let (image, map, readme) = match inputs {
        Ok(inputs) => inputs,
        Err(e) => {
            eprintln!("serial-image-check: {e}");
            return ExitCode::from(2);
        }
    };
    let problems = check(&image, &map, &readme);
    if problems.is_empty() {
        let modules: BTreeSet<&str> = image.imports.iter().map(|i| i.module.as_str()).collect();
        println!(
            "{image_path}: PE32+ AMD64, NATIVE, entry FxDriverEntry, {} imports from {} as the README lists",
            image.imports.len(),
            modules.into_iter().collect::<Vec<_>>().join(", ")
        );
        return ExitCode::SUCCESS;
    }
    for problem in &problems {
        eprintln!("serial-image-check: {problem}");
    }
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(imports: &[(&str, &str)]) -> Image {
        Image {
            is_amd64: true,
            subsystem: pe::IMAGE_SUBSYSTEM_NATIVE,
            entry_rva: 0x1000,
            image_base: 0x1_4000_0000,
            imports: imports
                .iter()
                .map(|(m, f)| Import {
                    module: (*m).to_owned(),
                    function: (*f).to_owned(),
                })
                .collect(),
        }
    }

    const MAP: &str =
        " 0001:00000000       FxDriverEntry              0000000140001000     stub.obj\n";

    const README: &str = "Timers use `KeSetTimer(t, due, dpc)`.\n\n## Imports of the image\n\n\
        | Module | Function | Why |\n|---|---|---|\n\
        | `ntoskrnl.exe` | `KeSetTimer` | timers |\n\
        | `WDFLDR.SYS` | `WdfVersionBind` | entry stub |\n\n## Next\n\
        | `ntoskrnl.exe` | `NotInTheSection` | x |\n";

    #[test]
    fn an_image_that_matches_the_readme_passes() {
        let image = image(&[
            ("ntoskrnl.exe", "KeSetTimer"),
            ("WDFLDR.SYS", "WdfVersionBind"),
        ]);
        assert_eq!(check(&image, MAP, README), Vec::<String>::new());
    }

    #[test]
    fn an_unlisted_import_fails() {
        let image = image(&[
            ("ntoskrnl.exe", "KeSetTimer"),
            ("ntoskrnl.exe", "KeStallExecutionProcessor"),
            ("WDFLDR.SYS", "WdfVersionBind"),
        ]);
        let problems = check(&image, MAP, README);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("KeStallExecutionProcessor is imported but not listed"));
    }

    #[test]
    fn a_named_ddi_that_is_not_imported_fails() {
        let image = image(&[("WDFLDR.SYS", "WdfVersionBind")]);
        let problems = check(&image, MAP, README);
        assert!(
            problems
                .iter()
                .any(|p| p.contains("listed in the README's imports table but not imported"))
        );
        assert!(problems.iter().any(|p| p.contains("names `KeSetTimer`")));
    }

    #[test]
    fn a_foreign_module_a_wrong_entry_and_a_user_mode_subsystem_fail() {
        let mut image = image(&[
            ("ntoskrnl.exe", "KeSetTimer"),
            ("WDFLDR.SYS", "WdfVersionBind"),
        ]);
        image.imports.insert(Import {
            module: "KERNEL32.dll".to_owned(),
            function: "Sleep".to_owned(),
        });
        image.entry_rva = 0x2000;
        image.subsystem = pe::IMAGE_SUBSYSTEM_WINDOWS_CUI;
        let problems = check(&image, MAP, README);
        assert!(
            problems
                .iter()
                .any(|p| p.contains("KERNEL32.dll, which a KMDF driver must not use"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("entry point RVA 0x2000"))
        );
        assert!(problems.iter().any(|p| p.contains("not NATIVE")));
    }
}
