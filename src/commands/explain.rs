//! `sqlgate explain [rule]` and `--markdown`: the rules' documentation.

use crate::app;
use sqlgate_core::report::explain;
use sqlgate_core::Error;

pub fn run(rule: Option<&str>, markdown: bool) -> Result<i32, Error> {
    let text = match (rule, markdown) {
        (_, true) => explain::markdown(),
        (Some(id), false) => explain::explain(id)?,
        (None, false) => explain::list(),
    };
    app::print(&text)?;
    Ok(0)
}
