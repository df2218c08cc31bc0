//! `sim quiz` as a person uses it: in a pseudo-terminal, reading the question, typing an answer
//! (first a wrong key), seeing the verdict with its evidence, the next question, quitting, and
//! the score. Also the scripted form (`--answer`, `--topic`).

mod common;

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use common::{sim, stderr, stdout};

/// `sim ARGS` with its stdin, stdout and stderr on the slave side of a new pseudo-terminal, and
/// what it writes arriving on a channel.
struct Terminal {
    child: Child,
    master: std::fs::File,
    output: Receiver<Vec<u8>>,
    seen: String,
}

impl Terminal {
    fn spawn(args: &[&str]) -> Terminal {
        let (mut master, mut slave) = (0, 0);
        // SAFETY: openpty writes two new descriptors into the two integers; the name, termios
        // and window size arguments may be null.
        let status = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(status, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors were just opened by openpty and are owned here alone.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let child = Command::new(env!("CARGO_BIN_EXE_sim"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave))
            .spawn()
            .expect("the sim binary runs");
        let master = std::fs::File::from(master);
        let mut reader = master.try_clone().unwrap();
        let (send, output) = channel();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            // Ends with EIO once the child has exited and the slave is closed.
            while let Ok(n) = reader.read(&mut buffer) {
                if n == 0 || send.send(buffer[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Terminal {
            child,
            master,
            output,
            seen: String::new(),
        }
    }

    /// Waits until the screen shows `text` after what was already consumed; returns what came
    /// up to and including it.
    fn expect(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(at) = self.seen.find(text) {
                let upto = at + text.len();
                let shown = self.seen[..upto].to_string();
                self.seen.drain(..upto);
                return shown;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(bytes) => self.seen.push_str(&String::from_utf8_lossy(&bytes)),
                Err(_) => panic!(
                    "the terminal never showed {text:?}; it shows:\n{}",
                    self.seen
                ),
            }
        }
    }

    /// Types `line` and Enter.
    fn type_line(&mut self, line: &str) {
        self.master
            .write_all(format!("{line}\r").as_bytes())
            .expect("the terminal takes input");
    }
}

#[test]
fn a_person_answers_in_a_terminal_and_keeps_a_score() {
    let mut term = Terminal::spawn(&["quiz", "scenarios/ans", "--topic", "cross-zone"]);
    let first = term.expect("Your answer (A-D; s skips, q quits): ");
    assert!(first.contains("Question 1 of "), "{first}");
    assert!(first.contains("  A) "), "{first}");
    assert!(first.contains("  D) "), "{first}");
    let answer = first
        .lines()
        .find_map(|l| l.strip_prefix("Question 1 of ").map(|_| ()))
        .and(Some(()));
    assert!(answer.is_some());
    // A key that is not a choice: asked again.
    term.type_line("z");
    term.expect("Answer with one of A, B, C, D, s to skip or q to quit.");
    term.expect("Your answer (A-D; s skips, q quits): ");
    // Answer A: right or wrong, the verdict, the evidence and the sources follow.
    term.type_line("a");
    let verdict = term.expect("Score: ");
    assert!(
        verdict.contains("Right: A.") || verdict.contains("Not quite: you chose A; the answer is "),
        "{verdict}"
    );
    assert!(verdict.contains("What the simulation shows"), "{verdict}");
    assert!(verdict.contains("The deciding hops"), "{verdict}");
    assert!(verdict.contains("Why:"), "{verdict}");
    assert!(verdict.contains("Sources:"), "{verdict}");
    assert!(
        verdict.contains("https://docs.aws.amazon.com/"),
        "{verdict}"
    );
    let right = usize::from(verdict.contains("Right: A."));
    term.expect(&format!("{right} right of 1 answered"));
    // The next question, then quit.
    term.expect("Question 2 of ");
    term.expect("Your answer (A-D; s skips, q quits): ");
    term.type_line("s");
    term.expect("Skipped. The answer is ");
    term.expect("Your answer (A-D; s skips, q quits): ");
    term.type_line("q");
    term.expect(&format!(
        "Final score: {right} of 1 answered right (1 skipped)."
    ));
    let status = term.child.wait().unwrap();
    assert!(status.success(), "{status}");
}

#[test]
fn scripted_answers_and_topics() {
    let out = sim(&[
        "quiz",
        "scenarios/crosszone.toml",
        "--answer",
        "B",
        "--flows",
        "2000",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Your answer: B (--answer)"), "{text}");
    assert!(text.contains("Right: B."), "{text}");
    assert!(
        text.contains("Final score: 1 of 1 answered right."),
        "{text}"
    );

    let out = sim(&["quiz", "scenarios/ans", "--topic", "knitting"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--topic knitting: no question"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("cross-zone"), "{}", stderr(&out));

    let out = sim(&["quiz", "scenarios/ans", "--answer", "BB"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--answer BB: give one letter"));
}

#[test]
fn the_exam_library_holds_its_answers() {
    // CI checks every question of the library: at least 15 scenarios and 60 choices, each
    // answer proved and each wrong choice refuted by the simulation.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/ans");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 15, "{} scenarios", files.len());
    let mut choices = 0;
    for f in &files {
        let s = sim::scenario::load(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let q = s
            .quiz
            .as_ref()
            .unwrap_or_else(|| panic!("{}: no [quiz]", f.display()));
        assert_eq!(q.choices.len(), 4, "{}: four choices", f.display());
        assert!(
            !q.rules.is_empty() && !q.sources.is_empty(),
            "{}",
            f.display()
        );
        choices += q.choices.len();
    }
    assert!(choices >= 60, "{choices} choices");
    let out = sim(&["test", "scenarios/ans", "--quiet"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
}
