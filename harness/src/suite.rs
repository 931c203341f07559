//! Where scenarios come from: the built-in suite (embedded in the binary at build time, so it runs
//! from any directory) or files and directories on disk.

use std::path::{Path, PathBuf};

use include_dir::{Dir, DirEntry, include_dir};

use crate::scenario::{LoadError, Scenario, Source, parse};

/// The built-in suite: `harness/scenarios/**.toml`.
static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/scenarios");

/// The prefix shown before built-in scenario paths.
pub const BUILTIN_PREFIX: &str = "scenarios";

/// Every built-in scenario file as `(relative path, text)`, sorted by path.
#[must_use]
pub fn builtin_files() -> Vec<(String, &'static str)> {
    let mut files = Vec::new();
    collect(&BUILTIN, &mut files);
    files.sort();
    files
}

fn collect(dir: &'static Dir<'static>, files: &mut Vec<(String, &'static str)>) {
    for entry in dir.entries() {
        match entry {
            DirEntry::Dir(sub) => collect(sub, files),
            DirEntry::File(file) => {
                let path = file.path();
                if path.extension().is_some_and(|ext| ext == "toml")
                    && let Some(text) = file.contents_utf8()
                {
                    files.push((path.to_string_lossy().replace('\\', "/"), text));
                }
            }
        }
    }
}

/// The scenario name for a path relative to a suite root: `read/case_a.toml` → `read/case_a`.
#[must_use]
pub fn name_for(relative: &str) -> String {
    relative
        .strip_suffix(".toml")
        .unwrap_or(relative)
        .replace('\\', "/")
}

/// Loads the built-in suite.
///
/// # Errors
/// Every file that fails to parse.
pub fn builtin() -> Result<Vec<Scenario>, Vec<LoadError>> {
    let mut scenarios = Vec::new();
    let mut errors = Vec::new();
    for (relative, text) in builtin_files() {
        let source = Source {
            path: format!("{BUILTIN_PREFIX}/{relative}"),
            text: text.to_owned(),
        };
        match parse(&source, &name_for(&relative)) {
            Ok(scenario) => scenarios.push(scenario),
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok(scenarios)
    } else {
        Err(errors)
    }
}

/// Loads scenarios from `selectors`: scenario files, directories (searched recursively for
/// `*.toml`), or names of built-in scenarios and groups (`read`, `read/case_c_total`). No selector
/// means the whole built-in suite.
///
/// # Errors
/// Every file that fails to load, and selectors that match nothing.
pub fn load(selectors: &[String]) -> Result<Vec<Scenario>, Vec<LoadError>> {
    if selectors.is_empty() {
        return builtin();
    }
    let mut scenarios: Vec<Scenario> = Vec::new();
    let mut errors = Vec::new();
    let mut builtin_cache: Option<Vec<Scenario>> = None;
    for selector in selectors {
        let path = Path::new(selector);
        if path.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files);
            files.sort();
            if files.is_empty() {
                errors.push(LoadError::file(
                    selector,
                    "no .toml scenario files in this directory",
                ));
            }
            for file in files {
                let relative = file
                    .strip_prefix(path)
                    .unwrap_or(&file)
                    .to_string_lossy()
                    .into_owned();
                push_file(&file, &name_for(&relative), &mut scenarios, &mut errors);
            }
        } else if path.is_file() {
            let stem = path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_default();
            let name = match path
                .parent()
                .and_then(Path::file_name)
                .map(|parent| parent.to_string_lossy().into_owned())
            {
                Some(parent) if !parent.is_empty() => format!("{parent}/{stem}"),
                _ => stem,
            };
            push_file(path, &name, &mut scenarios, &mut errors);
        } else {
            let all = match &builtin_cache {
                Some(all) => all,
                None => match builtin() {
                    Ok(all) => builtin_cache.insert(all),
                    Err(mut broken) => {
                        errors.append(&mut broken);
                        return Err(errors);
                    }
                },
            };
            let wanted = selector.trim_end_matches('/').trim_end_matches(".toml");
            let wanted = wanted
                .strip_prefix(&format!("{BUILTIN_PREFIX}/"))
                .unwrap_or(wanted);
            let matched: Vec<Scenario> = all
                .iter()
                .filter(|scenario| {
                    scenario.name == wanted || scenario.name.starts_with(&format!("{wanted}/"))
                })
                .cloned()
                .collect();
            if matched.is_empty() {
                errors.push(LoadError::file(
                    selector,
                    "no such file or directory, and no built-in scenario or group of that name",
                ));
            }
            scenarios.extend(matched);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut seen = std::collections::HashSet::new();
    scenarios.retain(|scenario| seen.insert(scenario.path.clone()));
    Ok(scenarios)
}

fn push_file(path: &Path, name: &str, scenarios: &mut Vec<Scenario>, errors: &mut Vec<LoadError>) {
    let shown = path.to_string_lossy().into_owned();
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => match parse(&Source { path: shown, text }, name) {
                Ok(scenario) => scenarios.push(scenario),
                Err(error) => errors.push(error),
            },
            Err(_) => errors.push(LoadError::file(shown, "not UTF-8 text")),
        },
        Err(error) => errors.push(LoadError::file(shown, format!("cannot read: {error}"))),
    }
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "toml") {
            files.push(path);
        }
    }
}
