//! External OpenID Connect providers, as the operator lists them:
//! `OIDC_PROVIDERS=acme,github` names them, and each has
//! `OIDC_<NAME>_ISSUER`, `OIDC_<NAME>_CLIENT_ID`, `OIDC_<NAME>_CLIENT_SECRET`
//! and `OIDC_<NAME>_LABEL` (`<NAME>` upper-cased, `-` as `_`). A mistake
//! stops the server with a message that names the variable.

use super::env::{var, ConfigError};
use crate::accounts::external::ProviderSettings;

/// The providers the environment configures (none without `OIDC_PROVIDERS`).
pub(super) fn from_env() -> Result<Vec<ProviderSettings>, ConfigError> {
    parse(var)
}

/// The providers `lookup` configures; `lookup` reads one variable.
fn parse(
    lookup: impl Fn(&str) -> Result<Option<String>, ConfigError>,
) -> Result<Vec<ProviderSettings>, ConfigError> {
    let Some(names) = lookup("OIDC_PROVIDERS")? else {
        return Ok(Vec::new());
    };
    let mut providers: Vec<ProviderSettings> = Vec::new();
    for name in names
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        let valid = name.len() <= 20
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(ConfigError(format!(
                "OIDC_PROVIDERS: {name:?} is not a provider name: use up to 20 lower-case \
                 letters, digits and -"
            )));
        }
        if providers.iter().any(|provider| provider.name == name) {
            return Err(ConfigError(format!("OIDC_PROVIDERS names {name} twice")));
        }
        let prefix = format!("OIDC_{}_", name.to_uppercase().replace('-', "_"));
        let required = |what: &str| {
            let variable = format!("{prefix}{what}");
            lookup(&variable)?.ok_or_else(|| {
                ConfigError(format!(
                    "{variable} is missing (OIDC_PROVIDERS names {name})"
                ))
            })
        };
        let issuer = required("ISSUER")?;
        check_issuer(&issuer).map_err(|why| ConfigError(format!("{prefix}ISSUER {why}")))?;
        providers.push(ProviderSettings {
            name: name.to_owned(),
            label: required("LABEL")?,
            issuer,
            client_id: required("CLIENT_ID")?,
            client_secret: required("CLIENT_SECRET")?,
        });
    }
    Ok(providers)
}

/// An issuer is reached over https; plain http only on this machine (a
/// provider for development or tests).
fn check_issuer(issuer: &str) -> Result<(), String> {
    let (scheme, rest) = issuer
        .split_once("://")
        .ok_or_else(|| format!("must be a URL such as https://id.example.com, not {issuer:?}"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    match scheme {
        "https" if !host.is_empty() => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err(format!(
            "must use https (plain http is allowed only for localhost), not {issuer:?}"
        )),
        _ => Err(format!(
            "must be a URL such as https://id.example.com, not {issuer:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_from(pairs: &[(&str, &str)]) -> Result<Vec<ProviderSettings>, ConfigError> {
        parse(|name| {
            Ok(pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned()))
        })
    }

    const ACME: [(&str, &str); 5] = [
        ("OIDC_PROVIDERS", "acme, work-sso"),
        ("OIDC_ACME_ISSUER", "https://id.acme.example"),
        ("OIDC_ACME_CLIENT_ID", "app"),
        ("OIDC_ACME_CLIENT_SECRET", "s3cret"),
        ("OIDC_ACME_LABEL", "Acme ID"),
    ];

    #[test]
    fn providers_come_from_their_variables() {
        assert_eq!(parse_from(&[]).unwrap(), []);
        let mut pairs = ACME.to_vec();
        pairs.extend([
            ("OIDC_WORK_SSO_ISSUER", "http://127.0.0.1:8080/realms/x"),
            ("OIDC_WORK_SSO_CLIENT_ID", "c"),
            ("OIDC_WORK_SSO_CLIENT_SECRET", "d"),
            ("OIDC_WORK_SSO_LABEL", "Work"),
        ]);
        let providers = parse_from(&pairs).unwrap();
        assert_eq!(providers.len(), 2);
        assert_eq!(providers[0].label, "Acme ID");
        assert_eq!(providers[1].name, "work-sso");
        assert_eq!(providers[1].issuer, "http://127.0.0.1:8080/realms/x");
    }

    #[test]
    fn a_mistake_names_its_variable_and_never_the_secret() {
        let error = parse_from(&ACME[..4]).unwrap_err().to_string();
        assert!(error.contains("OIDC_ACME_LABEL is missing"), "{error}");
        let mut pairs = ACME.to_vec();
        pairs[1] = ("OIDC_ACME_ISSUER", "http://id.acme.example");
        let error = parse_from(&pairs).unwrap_err().to_string();
        assert!(error.contains("OIDC_ACME_ISSUER must use https"), "{error}");
        assert!(!error.contains("s3cret"));
        for names in ["Acme", "acme,acme", "a/b"] {
            let mut pairs = ACME.to_vec();
            pairs[0] = ("OIDC_PROVIDERS", names);
            assert!(parse_from(&pairs).is_err(), "{names}");
        }
    }
}
