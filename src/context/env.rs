//! Reading settings from the environment: each variable's parsing, and
//! the one error a wrong value gives, which names the variable.

use std::{
    fmt,
    net::{IpAddr, SocketAddr},
    str::FromStr,
};

/// An SMTP server in lettre's URL syntax. It may hold a password, so it
/// never prints.
#[derive(Clone)]
pub struct SmtpUrl(pub String);

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SmtpUrl(…)")
    }
}

/// A setting that is present but cannot be used.
#[derive(Debug)]
pub struct ConfigError(pub(super) String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Checks `SMTP_URL` the way the sender will read it. The message never
/// repeats the value: it may contain a password.
pub(super) fn parse_smtp_url(url: String) -> Result<SmtpUrl, ConfigError> {
    use lettre::{AsyncSmtpTransport, Tokio1Executor};
    AsyncSmtpTransport::<Tokio1Executor>::from_url(&url).map_err(|_| {
        ConfigError(
            "SMTP_URL is not a mail server URL. Use smtps://user:password@host:465 \
             (implicit TLS), smtp://user:password@host:587?tls=required (STARTTLS), or \
             smtp://127.0.0.1:2525 for a relay on this machine; percent-encode special \
             characters in the user name and password."
                .to_owned(),
        )
    })?;
    Ok(SmtpUrl(url))
}

pub(super) fn parse_mail_from(from: &str) -> Result<String, ConfigError> {
    from.parse::<lettre::message::Mailbox>()
        .map(|mailbox| mailbox.to_string())
        .map_err(|_| {
            ConfigError(format!(
                "MAIL_FROM must be an address such as \"Example <no-reply@example.com>\" or \
                 no-reply@example.com, not {from:?}"
            ))
        })
}

/// `Leptos Accounts <no-reply@HOST>` for the origin's host name (or
/// `localhost` for an IP address, which is not a mail domain).
/// `METRICS_ADDR`: an address and port that is not the site's. Metrics
/// tell how the server is used; only the operator's Prometheus should read
/// them, so they never share the public listener.
pub(super) fn parse_metrics_addr(value: &str, site: SocketAddr) -> Result<SocketAddr, ConfigError> {
    let addr: SocketAddr = value.trim().parse().map_err(|_| {
        ConfigError(format!(
            "METRICS_ADDR must be an address and port such as 127.0.0.1:9100, not {:?}",
            value.chars().take(60).collect::<String>()
        ))
    })?;
    let overlaps = addr.port() == site.port()
        && (addr.ip() == site.ip() || addr.ip().is_unspecified() || site.ip().is_unspecified());
    if overlaps && addr.port() != 0 {
        return Err(ConfigError(format!(
            "METRICS_ADDR ({addr}) must not be the site's address ({site}): metrics get a \
             listener of their own"
        )));
    }
    Ok(addr)
}

/// Refuses a metrics address reachable beyond loopback and private
/// networks (or every address: `0.0.0.0`, `::`) unless `allow_public`
/// (`METRICS_PUBLIC=1`): the series tell when accounts sign up and when
/// mail goes out, so a stranger scraping them around a "forgot password"
/// request learns whether an address has an account.
pub(super) fn check_metrics_exposure(
    addr: SocketAddr,
    allow_public: bool,
) -> Result<SocketAddr, ConfigError> {
    let contained = match addr.ip().to_canonical() {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.is_unique_local() || v6.is_unicast_link_local(),
    };
    if contained || allow_public {
        return Ok(addr);
    }
    Err(ConfigError(format!(
        "METRICS_ADDR ({addr}) would serve metrics beyond loopback and private networks, and \
         they reveal when accounts sign up and mail goes out: use 127.0.0.1 or a private \
         address, or set METRICS_PUBLIC=1 if a firewall keeps it private"
    )))
}

/// A yes/no setting: `1`, `true` or `yes` (any case) is yes; unset, `0`,
/// `false` or `no` is no.
pub(super) fn flag(name: &str) -> Result<bool, ConfigError> {
    match var(name)?
        .map(|value| value.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("" | "0" | "false" | "no") => Ok(false),
        Some("1" | "true" | "yes") => Ok(true),
        Some(other) => Err(ConfigError(format!(
            "{name} must be 1 or 0, not {:?}",
            other.chars().take(20).collect::<String>()
        ))),
    }
}

pub fn default_mail_from(origin: &str) -> String {
    let host = origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .split(['/', ':'])
        .next()
        .unwrap_or_default();
    let host = if host.is_empty() || host.starts_with('[') || host.parse::<IpAddr>().is_ok() {
        "localhost"
    } else {
        host
    };
    format!("{} <no-reply@{host}>", crate::brand::SITE_NAME)
}

pub(super) fn default_hash_concurrency() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

pub(super) fn var(name: &str) -> Result<Option<String>, ConfigError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(Some(value.trim().to_owned())),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(ConfigError(format!("{name} is not valid UTF-8")))
        }
    }
}

pub(super) fn number<T: FromStr>(name: &str) -> Result<Option<T>, ConfigError> {
    var(name)?
        .map(|value| {
            value
                .parse::<T>()
                .map_err(|_| ConfigError(format!("{name} must be a whole number, not {value:?}")))
        })
        .transpose()
}

/// Why a server reachable from other machines needs `APP_ORIGIN`.
pub(super) fn missing_origin(addr: std::net::SocketAddr) -> String {
    format!(
        "LEPTOS_SITE_ADDR {addr} is reachable from other machines, so set APP_ORIGIN to the \
         address people use to reach the site, e.g. APP_ORIGIN=https://accounts.example.com. \
         It decides which requests count as coming from the site (CSRF), and with https the \
         cookies are Secure and __Host- prefixed and HSTS is sent. Behind a reverse proxy, \
         also set TRUSTED_PROXY to the proxy's address."
    )
}

pub(super) fn parse_proxies(value: &str) -> Result<Vec<IpAddr>, ConfigError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            // `::ffff:127.0.0.1` is 127.0.0.1, as peers are compared.
            entry
                .parse::<IpAddr>()
                .map(|ip| ip.to_canonical())
                .map_err(|_| {
                    ConfigError(format!(
                        "TRUSTED_PROXY must be IP addresses separated by commas, not {entry:?}"
                    ))
                })
        })
        .collect()
}

pub(super) fn parse_origin(origin: &str) -> Result<String, ConfigError> {
    let origin = origin.trim_end_matches('/');
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains('/') => Ok(origin.to_owned()),
        _ => Err(ConfigError(format!(
            "APP_ORIGIN must look like https://example.com (scheme and host, no path), not {origin:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_and_host() {
        assert_eq!(
            parse_origin("https://example.com/").unwrap(),
            "https://example.com"
        );
        assert_eq!(
            parse_origin("http://127.0.0.1:3000").unwrap(),
            "http://127.0.0.1:3000"
        );
        assert!(parse_origin("example.com").is_err());
        assert!(parse_origin("https://example.com/app").is_err());
        assert!(parse_origin("ftp://example.com").is_err());
    }

    #[test]
    fn metrics_never_share_the_site_listener() {
        let site: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        assert_eq!(
            parse_metrics_addr("127.0.0.1:9100", site).unwrap(),
            "127.0.0.1:9100".parse::<SocketAddr>().unwrap()
        );
        assert!(parse_metrics_addr("127.0.0.1:3000", site).is_err());
        assert!(parse_metrics_addr("0.0.0.0:3000", site).is_err());
        let everywhere: SocketAddr = "0.0.0.0:3000".parse().unwrap();
        assert!(parse_metrics_addr("10.0.0.5:3000", everywhere).is_err());
        // Another interface on the same port is another listener.
        assert!(parse_metrics_addr("10.0.0.5:3000", site).is_ok());
        assert!(parse_metrics_addr("9100", site)
            .unwrap_err()
            .to_string()
            .contains("127.0.0.1:9100"));
    }

    #[test]
    fn metrics_stay_on_loopback_and_private_networks_unless_allowed() {
        for contained in [
            "127.0.0.1:9100",
            "[::1]:9100",
            "10.0.0.5:9100",
            "192.168.1.2:9100",
            "[fd00::5]:9100",
        ] {
            let addr: SocketAddr = contained.parse().unwrap();
            assert!(check_metrics_exposure(addr, false).is_ok(), "{contained}");
        }
        for public in [
            "0.0.0.0:9100",
            "[::]:9100",
            "203.0.113.7:9100",
            "[2001:db8::7]:9100",
        ] {
            let addr: SocketAddr = public.parse().unwrap();
            let refused = check_metrics_exposure(addr, false).unwrap_err().to_string();
            assert!(refused.contains("METRICS_PUBLIC=1"), "{refused}");
            assert!(check_metrics_exposure(addr, true).is_ok(), "{public}");
        }
    }

    #[test]
    fn trusted_proxies_are_a_list_of_addresses() {
        assert_eq!(
            parse_proxies("127.0.0.1, ::1").unwrap(),
            [
                "127.0.0.1".parse::<IpAddr>().unwrap(),
                "::1".parse().unwrap()
            ]
        );
        assert!(parse_proxies("proxy.internal").is_err());
        assert_eq!(
            parse_proxies("::ffff:127.0.0.1").unwrap(),
            vec!["127.0.0.1".parse::<IpAddr>().unwrap()]
        );
    }
}
