//! Progress bars for work that takes longer than a second: on a terminal
//! only (never with `--json`, never into a pipe or a file), on stderr.

use crate::output::Output;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A bar of `len` `unit`s named `what`; hidden unless stderr is a terminal
/// and the output is for people.
pub fn bar(out: &Output, len: u64, what: &str, unit: &str) -> ProgressBar {
    if out.json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{prefix}} [{{bar:32}}] {{human_pos}}/{{human_len}} {unit} ({{per_sec}}, {{eta}} left)"
        ))
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(what.to_string());
    bar
}

/// A spinner with a message, for steps of unknown length.
pub fn spinner(out: &Output, message: String) -> ProgressBar {
    if out.json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let s = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    s.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("a valid template"),
    );
    s.set_message(message);
    s.enable_steady_tick(std::time::Duration::from_millis(120));
    s
}

/// Runs `work` under a spinner saying `message` on a terminal; elsewhere
/// notes `message...` on stderr first, as a line a log can keep.
pub fn step<T>(out: &Output, message: &str, work: impl FnOnce() -> T) -> T {
    let s = spinner(out, message.to_string());
    if s.is_hidden() {
        out.note(&format!("{message}..."));
    }
    let result = work();
    s.finish_and_clear();
    result
}
