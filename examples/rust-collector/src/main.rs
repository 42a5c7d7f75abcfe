//! `rust-collector`: a PERFORMANCE collector of the mesh (see README.md), and
//! `rust-collector samples` (see samples.rs).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{value_parser, Arg, ArgAction, ArgMatches, Command};
use rust_collector::collector::{log, Collector};
use rust_collector::options::*;
use rust_collector::samples::write_samples;
use rust_collector::signing::Signer;
use tokio::signal::unix::{signal, SignalKind};

fn cli() -> Command {
    let ms = |name: &'static str, default: u64, help: &'static str| {
        Arg::new(name)
            .long(name)
            .value_parser(value_parser!(u64))
            .default_value(default.to_string())
            .help(help)
    };
    Command::new("rust-collector")
        .about("A collector-mesh PERFORMANCE collector: load and memory from /proc")
        .arg(
            Arg::new("nats-url")
                .long("nats-url")
                .env("NATS_URL")
                .default_value(DEFAULT_NATS_URL)
                .help("NATS server URL"),
        )
        .arg(
            Arg::new("prefix")
                .long("prefix")
                .default_value(rust_collector::subjects::DEFAULT_PREFIX)
                .help("subject prefix"),
        )
        .arg(Arg::new("id").long("id").help("collector id, one subject token [default: perfmond-rs-<pid>]"))
        .arg(ms("max-concurrency", DEFAULT_MAX_CONCURRENCY, "tasks run at once"))
        .arg(ms(
            "max-queued",
            DEFAULT_MAX_QUEUED as u64,
            "tasks waiting beyond max-concurrency before OVERLOADED",
        ))
        .arg(ms("heartbeat-ms", DEFAULT_HEARTBEAT_MS, "advert refresh period"))
        .arg(ms("ttl-ms", DEFAULT_TTL_MS, "advert TTL (the bucket's max age when created here)"))
        .arg(ms("drain-grace-ms", DEFAULT_DRAIN_GRACE_MS, "how long SIGTERM lets in-flight tasks finish"))
        .arg(ms("progress-ms", DEFAULT_PROGRESS_MS, "a running task says it is alive (Mesh-Progress) this often"))
        .arg(ms("max-task-bytes", DEFAULT_MAX_TASK_BYTES as u64, "largest task accepted"))
        .arg(ms("weight", 1, "relative weight for weighted balancing"))
        .arg(
            Arg::new("label")
                .long("label")
                .action(ArgAction::Append)
                .help("advert label name=value (repeatable); replaces a standard label of that name"),
        )
        .arg(
            Arg::new("zone")
                .long("zone")
                .env("MESH_ZONE")
                .help("the advert's zone label (standard labels: host, os, kernel, type, version, zone)"),
        )
        .arg(
            Arg::new("no-plain-path")
                .long("no-plain-path")
                .action(ArgAction::SetTrue)
                .help("serve the direct subject only"),
        )
        .arg(Arg::new("nkey").long("nkey").help("authenticate with the nkey seed in this file"))
        .arg(
            Arg::new("sign")
                .long("sign")
                .action(ArgAction::SetTrue)
                .help("sign every result (ed25519, header Mesh-Signature) with the --nkey seed, else a key made at start; its public key goes in the advert"),
        )
        .arg(Arg::new("creds").long("creds").help("authenticate with this .creds file"))
        .arg(Arg::new("user").long("user").env("NATS_USER").help("authenticate with this user"))
        .arg(Arg::new("password").long("password").env("NATS_PASSWORD").help("the user's password"))
        .arg(
            Arg::new("inbox-prefix")
                .long("inbox-prefix")
                .help("inbox prefix (default: _INBOX_collector_<name> for --nkey collector-<name>.nk)"),
        )
        .subcommand(
            Command::new("samples")
                .about("write messages encoded by this crate, for the TypeScript contract tests")
                .arg(Arg::new("out").long("out").required(true).value_parser(value_parser!(PathBuf)))
                .arg(Arg::new("vectors").long("vectors").value_parser(value_parser!(PathBuf))),
        )
}

fn options(m: &ArgMatches) -> Result<Options, String> {
    let id =
        m.get_one::<String>("id").cloned().unwrap_or_else(|| format!("perfmond-rs-{}", std::process::id()));
    let n = |k: &str| *m.get_one::<u64>(k).expect("has a default");
    let mut o = Options::new(&id);
    o.nats_url = m.get_one::<String>("nats-url").cloned().expect("has a default");
    o.prefix = m.get_one::<String>("prefix").cloned().expect("has a default");
    o.max_concurrency = n("max-concurrency");
    o.max_queued = n("max-queued") as usize;
    o.heartbeat = Duration::from_millis(n("heartbeat-ms"));
    o.ttl = Duration::from_millis(n("ttl-ms"));
    o.drain_grace = Duration::from_millis(n("drain-grace-ms"));
    o.progress = Duration::from_millis(n("progress-ms"));
    o.zone = m.get_one::<String>("zone").filter(|z| !z.is_empty()).cloned();
    o.max_task_bytes = n("max-task-bytes") as usize;
    o.weight = n("weight");
    o.plain_path = !m.get_flag("no-plain-path");
    o.nkey_file = m.get_one::<String>("nkey").cloned();
    o.creds_file = m.get_one::<String>("creds").cloned();
    o.user = m.get_one::<String>("user").cloned();
    o.password = m.get_one::<String>("password").cloned();
    o.inbox_prefix = m.get_one::<String>("inbox-prefix").cloned();
    if m.get_flag("sign") {
        o.signer = Some(match &o.nkey_file {
            Some(f) => {
                let seed = std::fs::read_to_string(f).map_err(|e| format!("--nkey {f}: {e}"))?;
                Signer::from_seed(seed.trim()).map_err(|e| format!("--sign: {e}"))?
            }
            None => Signer::generate(),
        });
    }
    for l in m.get_many::<String>("label").into_iter().flatten() {
        let (k, v) = l.split_once('=').ok_or_else(|| format!("--label {l}: expected name=value"))?;
        o.labels.insert(k.to_string(), v.to_string());
    }
    o.validate()?;
    Ok(o)
}

async fn connect(o: &Options) -> Result<async_nats::Client, Box<dyn std::error::Error + Send + Sync>> {
    let addr: async_nats::ServerAddr = o.nats_url.parse()?;
    let mut c = async_nats::ConnectOptions::new();
    if let Some(f) = &o.creds_file {
        c = async_nats::ConnectOptions::with_credentials_file(f).await?;
    } else if let Some(f) = &o.nkey_file {
        let seed = std::fs::read_to_string(f).map_err(|e| format!("--nkey {f}: {e}"))?;
        c = async_nats::ConnectOptions::with_nkey(seed.trim().to_string());
    } else if let (Some(u), Some(p)) = (&o.user, &o.password) {
        c = async_nats::ConnectOptions::with_user_and_password(u.clone(), p.clone());
    } else if let (Some(u), Some(p)) = (addr.username(), addr.password()) {
        // async-nats does not read credentials from the URL by itself.
        c = async_nats::ConnectOptions::with_user_and_password(u.to_string(), p.to_string());
    }
    if let Some(p) = o.inbox_prefix() {
        c = c.custom_inbox_prefix(p);
    }
    Ok(c.name(&o.id).max_reconnects(None).connect(addr).await?)
}

/// The URL without the password it may hold.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}***@{}", &url[..s + 3], &url[at + 1..]),
        _ => url.to_string(),
    }
}

async fn run(o: Options) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let client = connect(&o).await.map_err(|e| format!("cannot connect to {}: {e}", redact(&o.nats_url)))?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let collector = Collector::start(o.clone(), client.clone()).await?;
    log(format!("collector {} serving {}.collector.{}.task", o.id, o.prefix, o.id));
    println!("ready");
    tokio::select! {
        _ = term.recv() => log("SIGTERM: draining"),
        _ = int.recv() => log("SIGINT: draining"),
    }
    let stats = collector.drain().await;
    log(format!("stopped: {stats:?}"));
    Ok(())
}

fn main() -> ExitCode {
    let m = cli().get_matches();
    if let Some(s) = m.subcommand_matches("samples") {
        let out = s.get_one::<PathBuf>("out").expect("required");
        return match write_samples(out, s.get_one::<PathBuf>("vectors").map(PathBuf::as_path)) {
            Ok(n) => {
                println!("wrote {n} samples to {}", out.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("rust-collector samples: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let o = match options(&m) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("rust-collector: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    match rt.block_on(run(o)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rust-collector: {e}");
            ExitCode::FAILURE
        }
    }
}
