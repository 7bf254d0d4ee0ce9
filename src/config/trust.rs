//! The settings a pull request must not choose (`sqlgate ci` on a pull request): one
//! list, [`Settings::restrict_trust`].

use super::*;

impl Settings {
    /// For a pull request under `sqlgate ci`: the trusted settings — what the run may
    /// touch or how far it may go: the replay (`scratch`, `scratch_cache`, `scratch_extensions`),
    /// previews (`[preview]`: prefix, max, template), fleets (`[targets]`) and the
    /// bounds on pull-request SQL (`[sandbox]`) — come from the workflow (flags and
    /// environment) or from the base branch's configuration file `base_file`, never
    /// from the pull request's own. This is the one place that list is kept. Returns a
    /// warning for each key the pull request's file changed, naming the value used.
    pub fn restrict_trust(&mut self, base_file: Option<&str>, cli: &Overrides) -> Vec<String> {
        let mut warnings = Vec::new();
        let Some(base) = trusted_base(base_file, cli, &mut warnings) else {
            // The workflow's own values are wrong: nothing is trusted.
            self.scratch = None;
            self.scratch_extensions.clear();
            self.scratch_cache = None;
            self.preview_template = None;
            self.targets.clear();
            self.targets_query = None;
            self.targets_control_env = None;
            self.targets_url_env_allow.clear();
            self.sandbox = sqlgate_pg::guard::Bounds::default();
            self.stats = None;
            return warnings;
        };
        let dbg = |v: &dyn std::fmt::Debug| format!("{v:?}");
        let w = &mut warnings;
        let scratch_shown = |s: &Option<Scratch>| match s {
            None => "none".to_string(),
            Some(Scratch::Auto) => "\"auto\"".to_string(),
            Some(Scratch::Url(u)) => format!("\"{}\"", sqlgate_pg::mask(u)),
        };
        keep("scratch", &mut self.scratch, base.scratch, scratch_shown, w);
        keep(
            "scratch_cache",
            &mut self.scratch_cache,
            base.scratch_cache,
            |v| dbg(v),
            w,
        );
        keep(
            "scratch_extensions",
            &mut self.scratch_extensions,
            base.scratch_extensions,
            |v| dbg(v),
            w,
        );
        keep(
            "preview.prefix",
            &mut self.preview_prefix,
            base.preview_prefix,
            |v| dbg(v),
            w,
        );
        keep(
            "preview.max",
            &mut self.preview_max,
            base.preview_max,
            |v| match v {
                Some(n) => n.to_string(),
                None => "no limit".into(),
            },
            w,
        );
        keep(
            "preview.template",
            &mut self.preview_template,
            base.preview_template,
            |v| match v {
                Some(t) => format!("{t:?}"),
                None => "none".into(),
            },
            w,
        );
        let names = |t: &Vec<sqlgate_core::fleet::Target>| {
            format!(
                "[{}]",
                t.iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        keep("targets", &mut self.targets, base.targets, names, w);
        keep(
            "targets.query",
            &mut self.targets_query,
            base.targets_query,
            |v| dbg(v),
            w,
        );
        keep(
            "targets.control_url_env",
            &mut self.targets_control_env,
            base.targets_control_env,
            |v| dbg(v),
            w,
        );
        keep(
            "targets.url_env_allow",
            &mut self.targets_url_env_allow,
            base.targets_url_env_allow,
            |v| dbg(v),
            w,
        );
        let bounds = |b: &sqlgate_pg::guard::Bounds| {
            format!(
                "statement_timeout {}, temp_file_limit {} bytes, deadline {}",
                sqlgate_pg::guard::show(b.statement_timeout),
                b.temp_file_limit,
                sqlgate_pg::guard::show(b.deadline)
            )
        };
        keep("sandbox", &mut self.sandbox, base.sandbox, bounds, w);
        keep("stats", &mut self.stats, base.stats, |v| dbg(v), w);
        keep(
            "stats thresholds",
            &mut self.stats_limits,
            base.stats_limits,
            |v| dbg(v),
            w,
        );
        warnings
    }
}

/// The settings the workflow and the base branch's file give; `None` when even the
/// workflow's own are not valid (then nothing is trusted). Problems are warnings.
fn trusted_base(
    base_file: Option<&str>,
    cli: &Overrides,
    warnings: &mut Vec<String>,
) -> Option<Settings> {
    let parsed: FileConfig = match base_file.map(toml::from_str::<FileConfig>) {
        Some(Ok(fc)) => fc,
        Some(Err(e)) => {
            warnings.push(format!(
                "the base branch's {DEFAULT_FILE} cannot be read ({}): its trusted settings are not used",
                e.to_string().trim_end()
            ));
            FileConfig::default()
        }
        None => FileConfig::default(),
    };
    match Settings::resolve(parsed, base_file.unwrap_or(""), None, cli) {
        Ok(b) => Some(b),
        Err(e) => {
            warnings.push(format!(
                "the base branch's {DEFAULT_FILE} is not valid ({e}): the defaults of its trusted settings are used"
            ));
            match Settings::resolve(FileConfig::default(), "", None, cli) {
                Ok(b) => Some(b),
                Err(e) => {
                    warnings.push(format!("the workflow's settings are not valid ({e}): no replay, preview or fleet setting is used"));
                    None
                }
            }
        }
    }
}

/// Puts back the trusted value of `key`, warning when the pull request changed it.
fn keep<T: PartialEq + std::fmt::Debug>(
    key: &str,
    head: &mut T,
    base: T,
    shown: impl Fn(&T) -> String,
    warnings: &mut Vec<String>,
) {
    if *head != base {
        warnings.push(format!(
            "the pull request's sqlgate.toml sets `{key}` to {}, which only the workflow or the base branch's sqlgate.toml may set: ignored, using {}",
            shown(head),
            shown(&base)
        ));
        *head = base;
    }
}
