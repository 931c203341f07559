//! `serial-harness list`.

use super::{EXIT_OK, EXIT_USAGE, ListArgs, target};

pub fn list(args: &ListArgs) -> u8 {
    let Ok(scenarios) = target::load(&args.selection) else {
        return EXIT_USAGE;
    };
    if args.json {
        let entries: Vec<serde_json::Value> = scenarios
            .iter()
            .map(|s| {
                serde_json::json!({
                    "name": s.name,
                    "path": s.path,
                    "group": s.group(),
                    "topology": s.topology.name(),
                    "steps": s.steps.len(),
                    "description": s.description,
                    "model_only": s.model_only,
                    "known_failure": s.known_failure,
                    "tags": s.tags,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&entries).unwrap_or_default()
        );
        return EXIT_OK;
    }
    let width = scenarios.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for scenario in &scenarios {
        let mut marks = Vec::new();
        if scenario.model_only.is_some() {
            marks.push("model only".to_owned());
        }
        if scenario.known_failure.is_some() {
            marks.push("known failure".to_owned());
        }
        let marks = if marks.is_empty() {
            String::new()
        } else {
            format!(" [{}]", marks.join(", "))
        };
        println!(
            "{:<width$}  {:<10}  {}{marks}",
            scenario.name,
            scenario.topology.name(),
            scenario.description.lines().next().unwrap_or("")
        );
    }
    eprintln!("{} scenario(s)", scenarios.len());
    EXIT_OK
}
