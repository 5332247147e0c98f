//! Starting and ending a fault on the primary, timing each command, and checking that the
//! fault really took effect. Black holes are nftables rules in this configuration's own table
//! (inside the run's network namespace), dropping every packet sent to the primary's port at
//! the input hook, so connects and open connections time out silently.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::Command;

use crate::clock::Clock;
use crate::config::{Config, FaultKind};
use crate::endpoint::{Endpoint, Mode};

/// Time allowed to any `nft` command.
const NFT_TIMEOUT: Duration = Duration::from_secs(5);

/// When a fault command started and returned (µs since the origin), and what a check right
/// after it saw.
#[derive(Debug, Clone, Serialize)]
pub struct CommandTiming {
    pub started_us: u64,
    pub done_us: u64,
    /// One connect (+ request) to the primary right after the command: "refused",
    /// "timeout", "http 500", "http 200", ...; with how long it took to see that.
    pub check: String,
    pub check_us: u64,
}

pub struct Faults {
    kind: FaultKind,
    table: String,
    primary: SocketAddr,
}

async fn nft(script: &str) -> Result<(), String> {
    let mut child = Command::new("nft")
        .arg("-f")
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run nft: {e} (is the nftables package installed?)"))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin.write_all(script.as_bytes()).await.map_err(|e| e.to_string())?;
    drop(stdin);
    let output = tokio::time::timeout(NFT_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| format!("nft did not finish within {NFT_TIMEOUT:?}"))?
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "nft failed ({}): {}\nscript:\n{script}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(())
}

impl Faults {
    /// Prepares what the fault kind needs (the nftables table and chain for black holes).
    pub async fn prepare(config: &Config, primary: SocketAddr) -> Result<Faults, String> {
        let faults = Faults { kind: config.fault.kind, table: format!("fosim_testbed_{}", config.slot), primary };
        if faults.kind == FaultKind::Blackhole {
            nft(&format!(
                "add table inet {t}\ndelete table inet {t}\nadd table inet {t}\n\
                 add chain inet {t} input {{ type filter hook input priority 0; policy accept; }}\n",
                t = faults.table
            ))
            .await?;
        }
        Ok(faults)
    }

    pub async fn start(&self, primary: &Endpoint, clock: &Clock) -> Result<CommandTiming, String> {
        let started_us = clock.now_us();
        match self.kind {
            FaultKind::Refuse => primary.set_mode(Mode::Refuse).await?,
            FaultKind::Http500 => primary.set_mode(Mode::Http500).await?,
            FaultKind::Blackhole => {
                nft(&format!(
                    "add rule inet {} input ip daddr {} tcp dport {} drop\n",
                    self.table,
                    self.primary.ip(),
                    self.primary.port()
                ))
                .await?
            }
        }
        let done_us = clock.now_us();
        let (check, check_us) = check_primary(self.primary).await;
        Ok(CommandTiming { started_us, done_us, check, check_us })
    }

    pub async fn end(&self, primary: &Endpoint, clock: &Clock) -> Result<CommandTiming, String> {
        let started_us = clock.now_us();
        match self.kind {
            FaultKind::Refuse | FaultKind::Http500 => primary.set_mode(Mode::Up).await?,
            FaultKind::Blackhole => nft(&format!("flush chain inet {} input\n", self.table)).await?,
        }
        let done_us = clock.now_us();
        let (check, check_us) = check_primary(self.primary).await;
        Ok(CommandTiming { started_us, done_us, check, check_us })
    }

    /// Removes the nftables table (the namespace's removal would too; this keeps reruns clean).
    pub async fn cleanup(&self) {
        if self.kind == FaultKind::Blackhole
            && let Err(e) = nft(&format!("delete table inet {}\n", self.table)).await
        {
            eprintln!("warning: {e}");
        }
    }
}

/// One request to the primary's health path, to see what the fault looks like from outside.
async fn check_primary(primary: SocketAddr) -> (String, u64) {
    let started = Instant::now();
    let outcome = async {
        let mut stream = match tokio::time::timeout(Duration::from_millis(300), TcpStream::connect(primary)).await {
            Err(_) => return "timeout".to_string(),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => return "refused".to_string(),
            Ok(Err(e)) => return format!("connect error: {e}"),
            Ok(Ok(s)) => s,
        };
        let request = "GET /fault-check HTTP/1.1\r\nHost: app.test.example\r\nConnection: close\r\n\r\n";
        if stream.write_all(request.as_bytes()).await.is_err() {
            return "write error".to_string();
        }
        let mut head = [0u8; 64];
        match tokio::time::timeout(Duration::from_millis(300), stream.read(&mut head)).await {
            Err(_) => "timeout after connect".to_string(),
            Ok(Ok(n)) if n >= 12 => format!("http {}", String::from_utf8_lossy(&head[9..12])),
            Ok(Ok(_)) => "closed".to_string(),
            Ok(Err(e)) => format!("read error: {e}"),
        }
    }
    .await;
    (outcome, u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX))
}
