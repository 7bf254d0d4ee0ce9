//! `sqlgate verify`: connection, server version, privileges, history health, and
//! whether the role could keep preview databases (CREATEDB, CREATEROLE, the template).

use crate::app;
use crate::config::Settings;
use sqlgate_core::model::Check;
use sqlgate_core::report::text;
use sqlgate_core::Error;

pub fn run(settings: &Settings, url: &str) -> Result<i32, Error> {
    let rt = app::runtime()?;
    let mut checks = rt.block_on(sqlgate_pg::admin::verify(url, &settings.history_table))?;
    let template = settings.preview_template.as_deref();
    if let Ok((createdb, tpl)) = rt.block_on(sqlgate_pg::preview::can_create(url, template)) {
        checks.push(Check {
            what: "previews".into(),
            // Only a failure when previews are configured (a template is set).
            ok: template.is_none() || (createdb && tpl == Some(true)),
            detail: match (createdb, template, tpl) {
                (false, ..) => "the role cannot create databases and roles (CREATEDB and CREATEROLE): `sqlgate preview` needs both on a staging server, to run each pull request's SQL as a role of its own".into(),
                (true, None, _) => "the role can create databases for `sqlgate preview`".into(),
                (true, Some(t), Some(true)) => format!("the role can create databases and copy the template {t}"),
                (true, Some(t), _) => format!("the role cannot copy the template {t} (it does not exist, or the role neither owns it nor is it marked as a template)"),
            },
        });
    }
    app::print(&text::verify(&sqlgate_pg::mask(url), &checks, app::color()))?;
    Ok(i32::from(checks.iter().any(|c| !c.ok)))
}
