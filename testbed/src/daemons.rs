//! PowerDNS and Unbound: writes their configuration files (zone, named.conf, pdns.conf,
//! unbound.conf) into the run's work directory, starts them, waits until they answer, and
//! stops them (on drop too, and they die with this process through PR_SET_PDEATHSIG).

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::config::{Config, HTTP_PORT, PDNS_PORT, UNBOUND_PORT, ZONE};
use crate::dnswire;

/// How long a daemon gets to answer its first query.
const READY_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a daemon gets to exit after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// A child process that is stopped when this value is dropped.
pub struct Daemon {
    pub name: &'static str,
    child: Child,
    pub log_path: PathBuf,
}

impl Daemon {
    fn spawn(name: &'static str, mut command: Command, log_path: PathBuf) -> Result<Daemon, String> {
        let log = fs::File::create(&log_path).map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
        let log_err = log.try_clone().map_err(|e| e.to_string())?;
        command.stdin(Stdio::null()).stdout(log).stderr(log_err);
        // SAFETY: prctl is async-signal-safe; the closure runs in the forked child before exec.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().map_err(|e| format!("cannot start {name}: {e} (is it installed?)"))?;
        Ok(Daemon { name, child, log_path })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last lines of the daemon's log, for error messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = fs::read_to_string(&self.log_path).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(e.to_string()),
        }
    }

    /// SIGTERM, then SIGKILL after a grace period; idempotent.
    pub fn stop(&mut self) {
        if self.exited().is_some() {
            return;
        }
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: plain kill(2) on our own child's pid, which is not reaped yet.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if self.exited().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The zone with the failover record: `ifurlup` over `{{primary}, {secondary}}`.
pub fn zone_text(config: &Config) -> String {
    let d = &config.dns;
    let mut options = format!("timeout={}", d.probe_timeout_s);
    if !d.extra_lua_options.trim().is_empty() {
        options.push_str(", ");
        options.push_str(d.extra_lua_options.trim());
    }
    format!(
        "$TTL {ttl}\n\
         @   IN SOA ns1.{zone}. host.{zone}. 1 3600 600 86400 {ttl}\n\
         @   IN NS  ns1.{zone}.\n\
         ns1 IN A   {ns}\n\
         app {ttl} IN LUA A \"ifurlup('http://app.{zone}:{port}/health', {{{{'{primary}'}}, {{'{secondary}'}}}}, {{{options}}})\"\n",
        ttl = d.ttl_s,
        zone = ZONE,
        ns = config.pdns_addr().ip(),
        port = HTTP_PORT,
        primary = config.primary_ip(),
        secondary = config.secondary_ip(),
    )
}

pub fn pdns_conf_text(config: &Config, dir: &Path) -> String {
    let d = &config.dns;
    format!(
        "launch=bind\n\
         bind-config={dir}/named.conf\n\
         local-address={addr}\n\
         local-port={PDNS_PORT}\n\
         enable-lua-records=yes\n\
         lua-health-checks-interval={interval}\n\
         lua-health-checks-expire-delay={expire}\n\
         cache-ttl={cache}\n\
         query-cache-ttl={qcache}\n\
         negquery-cache-ttl={qcache}\n\
         daemon=no\n\
         guardian=no\n\
         disable-syslog=yes\n\
         loglevel=6\n\
         socket-dir={dir}\n\
         write-pid=no\n",
        dir = dir.display(),
        addr = config.pdns_addr().ip(),
        interval = d.check_interval_s,
        expire = d.check_expire_delay_s,
        cache = d.pdns_cache_ttl_s,
        qcache = d.pdns_query_cache_ttl_s,
    )
}

pub fn unbound_conf_text(config: &Config, dir: &Path) -> String {
    let r = &config.resolver;
    format!(
        "server:\n\
         \x20 interface: {addr}\n\
         \x20 port: {UNBOUND_PORT}\n\
         \x20 do-ip6: no\n\
         \x20 do-not-query-localhost: no\n\
         \x20 access-control: 127.0.0.0/8 allow\n\
         \x20 username: \"\"\n\
         \x20 chroot: \"\"\n\
         \x20 directory: \"{dir}\"\n\
         \x20 pidfile: \"{dir}/unbound.pid\"\n\
         \x20 use-syslog: no\n\
         \x20 logfile: \"{dir}/unbound.log\"\n\
         \x20 verbosity: 1\n\
         \x20 do-daemonize: no\n\
         \x20 num-threads: 1\n\
         \x20 module-config: \"iterator\"\n\
         \x20 qname-minimisation: no\n\
         \x20 cache-min-ttl: {min_ttl}\n\
         \x20 prefetch: {prefetch}\n\
         \x20 serve-expired: no\n\
         stub-zone:\n\
         \x20 name: \"{ZONE}\"\n\
         \x20 stub-addr: {pdns}@{PDNS_PORT}\n",
        addr = config.unbound_addr().ip(),
        dir = dir.display(),
        min_ttl = r.cache_min_ttl_s,
        prefetch = if r.prefetch { "yes" } else { "no" },
        pdns = config.pdns_addr().ip(),
    )
}

/// Writes every configuration file of `config` into `dir`.
pub fn write_files(config: &Config, dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let files = [
        ("zone.db", zone_text(config)),
        ("named.conf", format!("zone \"{ZONE}\" {{ type master; file \"{}/zone.db\"; }};\n", dir.display())),
        ("pdns.conf", pdns_conf_text(config, dir)),
        ("unbound.conf", unbound_conf_text(config, dir)),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Waits until `daemon` answers an SOA query for the zone at `addr`; on failure the error
/// carries the daemon's log.
async fn wait_ready(daemon: &mut Daemon, addr: std::net::SocketAddr, recursion: bool) -> Result<(), String> {
    let deadline = Instant::now() + READY_TIMEOUT;
    let mut last_error = String::new();
    for attempt in 0u16.. {
        if let Some(status) = daemon.exited() {
            return Err(format!(
                "{} exited during start-up ({status}); its log ({}):\n{}",
                daemon.name,
                daemon.log_path.display(),
                daemon.log_tail(40)
            ));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{} did not answer on {addr} within {READY_TIMEOUT:?} (last error: {last_error}); its log ({}):\n{}",
                daemon.name,
                daemon.log_path.display(),
                daemon.log_tail(40)
            ));
        }
        let name = format!("{ZONE}.");
        match dnswire::query(addr, &name, dnswire::TYPE_SOA, recursion, attempt, Duration::from_millis(200)).await {
            Ok(answer) if answer.rcode == 0 && answer.answer_count > 0 => return Ok(()),
            Ok(answer) => last_error = format!("rcode {} with {} answers", answer.rcode, answer.answer_count),
            Err(e) => last_error = e,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    unreachable!("the loop returns before its counter wraps")
}

pub async fn start_pdns(config: &Config, dir: &Path) -> Result<Daemon, String> {
    let mut command = Command::new("pdns_server");
    command.arg(format!("--config-dir={}", dir.display()));
    let mut daemon = Daemon::spawn("PowerDNS (pdns_server)", command, dir.join("pdns.log"))?;
    wait_ready(&mut daemon, config.pdns_addr(), false).await?;
    Ok(daemon)
}

pub async fn start_unbound(config: &Config, dir: &Path) -> Result<Daemon, String> {
    let mut command = Command::new("unbound");
    command.arg("-d").arg("-c").arg(dir.join("unbound.conf"));
    // Unbound writes its own log file; its stdout/stderr (start-up errors) go next to it.
    let mut daemon = Daemon::spawn("Unbound", command, dir.join("unbound.stderr.log"))?;
    let ready = wait_ready(&mut daemon, config.unbound_addr(), true).await;
    if let Err(e) = ready {
        let own_log = fs::read_to_string(dir.join("unbound.log")).unwrap_or_default();
        return Err(format!("{e}\nunbound.log:\n{own_log}"));
    }
    Ok(daemon)
}
