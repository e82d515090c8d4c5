//! The `sbc` daemon: command line and wiring only. Every decision about SIP or media
//! lives in the library crates; this binary binds sockets, starts the planes, and moves
//! bytes and events between them.
//!
//!     sbc                       run on the embedded default config
//!     sbc --config FILE         run on FILE
//!     sbc check-config FILE     validate FILE, print every error, exit 1 if any
//!     sbc audit verify|query …  check or read the supervisor audit log (audit_cli.rs)

mod audit_cli;
mod daemon;

use std::path::PathBuf;
use std::process::ExitCode;

use sbc_core::config::Config;

const USAGE: &str = "usage: sbc [--config FILE] | sbc check-config FILE
       sbc audit verify --db FILE
       sbc audit query --db FILE [--supervisor S] [--agent A] [--call C] [--since T] [--until T] [--limit N]";

enum Command {
    Run(Option<PathBuf>),
    CheckConfig(PathBuf),
    Audit(audit_cli::AuditCommand),
}

fn parse_args(args: &[String]) -> Result<Command, String> {
    match args {
        [] => Ok(Command::Run(None)),
        [flag, file] if flag == "--config" || flag == "-c" => Ok(Command::Run(Some(file.into()))),
        [cmd, file] if cmd == "check-config" => Ok(Command::CheckConfig(file.into())),
        [cmd, rest @ ..] if cmd == "audit" => audit_cli::parse(rest).map(Command::Audit),
        [h] if h == "--help" || h == "-h" => Err(String::new()),
        _ => Err(format!("unrecognised arguments: {}", args.join(" "))),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse_args(&args) {
        Ok(c) => c,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("sbc: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Audit(cmd) => audit_cli::run(cmd),
        Command::CheckConfig(path) => match Config::load(&path) {
            Ok(_) => {
                println!("{}: ok", path.display());
                ExitCode::SUCCESS
            }
            Err(errors) => {
                eprintln!("{errors}");
                ExitCode::FAILURE
            }
        },
        Command::Run(path) => {
            let config = match &path {
                Some(p) => Config::load(p),
                None => Ok(Config::embedded_default()),
            };
            match config {
                Ok(config) => match daemon::run(config, path) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("sbc: {e:#}");
                        ExitCode::FAILURE
                    }
                },
                Err(errors) => {
                    eprintln!("{errors}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn command_line() {
        assert!(matches!(parse_args(&args(&[])), Ok(Command::Run(None))));
        assert!(matches!(
            parse_args(&args(&["--config", "x.toml"])),
            Ok(Command::Run(Some(_)))
        ));
        assert!(matches!(
            parse_args(&args(&["check-config", "x.toml"])),
            Ok(Command::CheckConfig(_))
        ));
        assert!(matches!(
            parse_args(&args(&["audit", "verify", "--db", "a.db"])),
            Ok(Command::Audit(_))
        ));
        assert!(parse_args(&args(&["--bogus"])).is_err());
    }
}
