//! Configuration tests: precedence, errors that name the setting, redaction.
use super::*;
use figment::Jail;

fn load() -> Result<Loaded, ConfigError> {
    Config::load(&ConfigFile::Default, &Overrides::default())
}

#[test]
fn the_default_file_is_the_defaults_and_names_every_key() {
    let parsed: Config = toml::from_str(DEFAULT_TOML).expect("default file parses");
    assert_eq!(parsed, Config::default());
    // Top-level keys come before the first section, each section's keys
    // under its header.
    let top = DEFAULT_TOML.split("\n[").next().unwrap_or_default();
    let defaults = serde_json::to_value(Config::default()).expect("serialises");
    let defaults = defaults.as_object().expect("a table");
    assert_eq!(
        defaults.keys().cloned().collect::<BTreeSet<_>>(),
        known_keys()
    );
    for (key, value) in defaults {
        let Some(section) = value.as_object() else {
            assert!(top.contains(&format!("{key} =")), "{key} undocumented");
            continue;
        };
        let header = format!("\n[{key}]\n");
        let start = DEFAULT_TOML
            .find(&header)
            .unwrap_or_else(|| panic!("[{key}] undocumented"));
        let body = &DEFAULT_TOML[start + header.len()..];
        let body = body.split("\n[").next().unwrap_or_default();
        for nested in section.keys() {
            assert!(
                body.contains(&format!("{nested} =")),
                "{key}.{nested} undocumented"
            );
        }
    }
}

#[test]
fn precedence_is_defaults_file_env_flags() {
    Jail::expect_with(|jail| {
        assert_eq!(load().expect("defaults").config.port, 4000);
        jail.create_file("frontdesk.toml", "port = 5000\nmode = \"production\"")?;
        let c = load().expect("file").config;
        assert_eq!((c.port, c.mode), (5000, InstanceMode::Production));
        jail.set_env("FRONTDESK_PORT", "6000");
        assert_eq!(load().expect("env").config.port, 6000);
        let flags = Overrides {
            port: Some(7000),
            ..Overrides::default()
        };
        let c = Config::load(&ConfigFile::Default, &flags)
            .expect("flags")
            .config;
        assert_eq!((c.port, c.mode), (7000, InstanceMode::Production));
        Ok(())
    });
}

#[test]
fn bad_values_name_the_setting() {
    Jail::expect_with(|jail| {
        jail.set_env("FRONTDESK_PORT", "eighty");
        let e = load().expect_err("bad port");
        assert_eq!(e.key, "port");
        assert!(
            e.to_string().starts_with("setting `port` (FRONTDESK_PORT)"),
            "{e}"
        );
        assert!(!e.to_string().contains('\n'));
        jail.set_env("FRONTDESK_PORT", "4000");
        jail.set_env("FRONTDESK_MODE", "staging");
        assert_eq!(load().expect_err("bad mode").key, "mode");
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.create_file("frontdesk.toml", "prot = 1")?;
        let e = load().expect_err("typo in file");
        assert!(e.to_string().contains("unknown setting `prot`"), "{e}");
        Ok(())
    });
}

#[test]
fn unknown_env_vars_warn_and_secrets_do_not_print() {
    Jail::expect_with(|jail| {
        jail.set_env("FRONTDESK_PROT", "1");
        jail.set_env("FRONTDESK_BOOTSTRAP_SECRET_KEY", "sk_test_hunter2");
        jail.set_env("FRONTDESK_DATABASE_URL", "postgres://u:hunter3@db/x");
        let loaded = load().expect("loads");
        assert_eq!(
            loaded.warnings,
            vec!["ignoring unknown environment variable FRONTDESK_PROT"]
        );
        let shown = format!(
            "{:?} {:?}",
            loaded.config,
            loaded.config.validate().expect("valid")
        );
        assert!(
            !shown.contains("hunter2") && !shown.contains("hunter3"),
            "{shown}"
        );
        Ok(())
    });
}

#[test]
fn smtp_settings_come_from_the_environment_verbatim() {
    Jail::expect_with(|jail| {
        jail.set_env("FRONTDESK_SMTP__HOST", "mail.example.com");
        jail.set_env("FRONTDESK_SMTP__PORT", "465");
        jail.set_env("FRONTDESK_SMTP__TLS", "tls");
        jail.set_env("FRONTDESK_SMTP__USERNAME", "12345");
        jail.set_env("FRONTDESK_SMTP__PASSWORD", "007");
        let loaded = load().expect("loads");
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let smtp = &loaded.config.smtp;
        assert_eq!(smtp.host.as_deref(), Some("mail.example.com"));
        assert_eq!((smtp.port, smtp.tls), (465, SmtpTls::Tls));
        // Not parsed as numbers: 007 stays 007.
        assert_eq!(smtp.username.as_deref(), Some("12345"));
        assert_eq!(smtp.password.as_ref().map(Secret::expose), Some("007"));
        loaded.config.validate().expect("valid");
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.create_file(
            "frontdesk.toml",
            "[smtp]\nhost = \"file.example.com\"\nusername = \"u\"\npassword = \"from-file\"",
        )?;
        jail.set_env("FRONTDESK_SMTP__PASSWORD", "hunter5 \"with quotes\"");
        let loaded = load().expect("loads");
        let smtp = &loaded.config.smtp;
        assert_eq!(smtp.host.as_deref(), Some("file.example.com"));
        assert_eq!(
            smtp.password.as_ref().map(Secret::expose),
            Some("hunter5 \"with quotes\"")
        );
        let shown = format!("{:?}", loaded.config);
        assert!(!shown.contains("hunter5"), "{shown}");
        Ok(())
    });
}

#[test]
fn branding_is_checked_and_named() {
    Jail::expect_with(|jail| {
        jail.set_env("FRONTDESK_BRANDING__PRIMARY_COLOR", "red; } body { x: y");
        let e = load().expect_err("bad colour");
        assert_eq!(e.key, "branding.primary_color");
        assert!(e.message.contains("#rrggbb"), "{e}");
        jail.set_env("FRONTDESK_BRANDING__PRIMARY_COLOR", "#0A7");
        jail.set_env("FRONTDESK_BRANDING__LOGO_URL", "javascript:alert(1)");
        let c = load().expect("parses").config;
        assert_eq!(c.validate().expect_err("bad logo").key, "branding.logo_url");
        jail.set_env(
            "FRONTDESK_BRANDING__LOGO_URL",
            "https://cdn.example.com/l.svg",
        );
        jail.set_env("FRONTDESK_BRANDING__APPLICATION_NAME", "Acme");
        let c = load().expect("valid branding").config;
        assert_eq!(c.branding.primary_color.to_string(), "#0a7");
        assert_eq!(c.branding.application_name, "Acme");
        Ok(())
    });
}

#[test]
fn bad_smtp_settings_name_the_setting() {
    let c = Config {
        smtp: SmtpConfig {
            host: Some("127.0.0.1".into()),
            port: 0,
            ..SmtpConfig::default()
        },
        ..Config::default()
    };
    let e = c.validate().expect_err("port 0");
    assert_eq!(e.key, "smtp.port");
    assert!(
        e.to_string()
            .starts_with("setting `smtp.port` (FRONTDESK_SMTP__PORT): "),
        "{e}"
    );
    Jail::expect_with(|jail| {
        jail.set_env("FRONTDESK_SMTP__PORT", "eighty");
        let e = load().expect_err("bad port");
        assert!(
            e.to_string()
                .starts_with("setting `smtp.port` (FRONTDESK_SMTP__PORT): "),
            "{e}"
        );
        jail.set_env("FRONTDESK_SMTP__PORT", "587");
        jail.set_env("FRONTDESK_SMTP__TLS", "ssl");
        let e = load().expect_err("bad tls");
        assert_eq!(e.key, "smtp.tls");
        assert!(e.message.contains("none, starttls, tls"), "{e}");
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.create_file("frontdesk.toml", "[smtp]\nprot = 25")?;
        let e = load().expect_err("typo in section");
        assert!(e.to_string().contains("unknown setting `prot`"), "{e}");
        assert_eq!(e.key, "smtp.prot");
        Ok(())
    });
    let bad = |smtp: SmtpConfig| {
        Config {
            smtp,
            ..Config::default()
        }
        .validate()
        .expect_err("invalid")
        .key
    };
    let smtp = SmtpConfig::default;
    assert_eq!(
        bad(SmtpConfig {
            from: "not a mailbox".into(),
            ..smtp()
        }),
        "smtp.from"
    );
    for host in ["", "smtp.example.com:587", "smtp://smtp.example.com"] {
        assert_eq!(
            bad(SmtpConfig {
                host: Some(host.into()),
                ..smtp()
            }),
            "smtp.host"
        );
    }
    assert_eq!(
        bad(SmtpConfig {
            username: Some("u".into()),
            ..smtp()
        }),
        "smtp.password"
    );
    assert_eq!(
        bad(SmtpConfig {
            timeout_secs: 0,
            ..smtp()
        }),
        "smtp.timeout_secs"
    );
}

#[test]
fn public_url_must_make_a_usable_publishable_key() {
    assert_eq!(
        parse_public_url("http://127.0.0.1:4000")
            .expect("ok")
            .frontend_host(),
        "127.0.0.1:4000"
    );
    assert_eq!(
        parse_public_url("https://auth.example.com")
            .expect("ok")
            .frontend_host(),
        "auth.example.com"
    );
    // Clerk's SDKs want a dot in the key's host: `localhost.` names the same.
    assert_eq!(
        parse_public_url("http://localhost:4000")
            .expect("ok")
            .frontend_host(),
        "localhost.:4000"
    );
    assert_eq!(
        default_public_url(IpAddr::V4(Ipv4Addr::LOCALHOST), 4000)
            .expect("ok")
            .origin(),
        "http://localhost:4000"
    );
    assert_eq!(
        parse_public_url("http://127.0.0.1:0")
            .and_then(|u| u.with_listening_port(4100))
            .expect("ok")
            .origin(),
        "http://127.0.0.1:4100"
    );
    for bad in ["ftp://a.b", "http://a.b/path", "nonsense"] {
        let e = parse_public_url(bad).expect_err(bad);
        assert_eq!(e.env, "FRONTDESK_PUBLIC_URL");
    }
}

#[test]
fn retention_must_cover_token_lifetime_and_caching() {
    let c = Config {
        retired_key_retention_secs: 100,
        ..Config::default()
    };
    assert_eq!(
        c.validate().expect_err("too short").key,
        "retired_key_retention_secs"
    );
}
