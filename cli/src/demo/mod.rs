//! `zkpension demo`: the whole story on an embedded node, no setup by hand.

mod report;

use crate::args::{KeysArg, ProverArg};
use crate::output::Output;
use anyhow::{bail, Context};
use ed25519_dalek::SigningKey;
use rand_core::OsRng;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;
use zkpension_circuits::binding::ChainId;
use zkpension_circuits::field;
use zkpension_circuits::keys::SpendingKey;
use zkpension_core::genesis::GenesisParams;
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::sealed::AgentKey;
use zkpension_core::subsidy::{Funder, Subsidy};
use zkpension_core::tx::Deposit;
use zkpension_core::{format_amount as money, Genesis, Params};
use zkpension_ledger::{Node, NodeConfig};
use zkpension_prover::member::flow::{AttestRequest, FlowError, Prepared};
use zkpension_prover::member::inherit::InheritError;
use zkpension_prover::member::{sync, Action, MemberSession, Naming, NodeClient};
use zkpension_prover::roles;
use zkpension_prover::wallet::{parse_phrase, Wallet};
use zkpension_prover::ProvingKeys;
use zkpension_verifier::VerifierKeys;

/// Epochs of dormancy before an heir may inherit, on the demo's chain.
const DEMO_DORMANCY: u64 = 3;

/// Run the whole story on an embedded node: enroll, contribute, cap, epochs, claims, attest.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
A registrar enrolls three members; they contribute over several epochs (one
runs into the per-epoch cap); the authority advances epochs; members reach
their eligible epoch and claim their pension; one attests to a landlord; one
loses his wallet file and gets the account back from his 24-word recovery
phrase and the public chain alone, then claims with it; one names her
daughter as heir and, once her account has been dormant for three epochs,
the daughter inherits it. The authority
schedules a cap 10% higher two epochs ahead (a 50% raise is refused by the
genesis's step limit). The state deposits into the subsidy pool, which
matches 50 cents per unit paid in until it runs dry. The demo prints what
the public ledger shows beside what each member alone knows, and checks that
the pool equals money in plus matched minus money out.

Keys come from the default key directory (generated there on first use).
The node's data goes to a temporary directory unless --data is given.

With --keep-node the node keeps running after the story, until Ctrl-C: open
its explorer in a browser (the URL is printed last) and check the books with
`zkpension audit --node URL`.

Examples:
  zkpension demo
  zkpension demo --json
  zkpension demo --keep-node --listen 127.0.0.1:8080")]
pub struct Args {
    #[command(flatten)]
    keys: KeysArg,
    #[command(flatten)]
    prover: ProverArg,
    /// Keep the node's data in DIR (must not exist) instead of a temporary directory
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Keep the node running after the demo (until Ctrl-C) to browse its explorer
    #[arg(long)]
    keep_node: bool,
    /// The node's HTTP address (default: a free port on 127.0.0.1)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    listen: std::net::SocketAddr,
}

struct Member {
    name: &'static str,
    session: MemberSession,
}

impl Member {
    fn wallet(&self) -> &Wallet {
        self.session.wallet()
    }
}

struct Demo {
    client: NodeClient,
    keys: ProvingKeys,
    chain: ChainId,
    authority: SigningKey,
    /// The subsidy pool's funder.
    state: SigningKey,
    out_json: bool,
    log: Vec<Value>,
    prove_ms: Vec<f64>,
    include_ms: Vec<f64>,
}

impl Demo {
    fn say(&mut self, event: Value, text: String) {
        if !self.out_json {
            crate::outln!("{text}");
        }
        self.log.push(event);
    }

    fn submit(&mut self, m: &mut Member, p: Prepared) -> anyhow::Result<u64> {
        let recorded = m.session.record(p)?;
        let start = Instant::now();
        m.session.submit(&recorded)?;
        let h = m.session.wait(&recorded, Duration::from_secs(60))?;
        self.include_ms.push(start.elapsed().as_secs_f64() * 1e3);
        Ok(h)
    }

    fn advance(&mut self) -> anyhow::Result<u64> {
        let s = self.client.status()?;
        let tx = roles::advance_epoch(&self.chain, s.epoch + 1, s.authority_nonce, &self.authority);
        self.client.submit(&tx)?;
        self.client
            .wait_included(&tx.id(), Duration::from_secs(60))?;
        let epoch = s.epoch + 1;
        self.say(
            json!({"event": "advance_epoch", "epoch": epoch}),
            format!("\n== authority advances to epoch {epoch}"),
        );
        Ok(epoch)
    }

    /// The state puts `amount` into the subsidy pool.
    fn deposit(&mut self, amount: u64) -> anyhow::Result<()> {
        let g = self.client.governance()?;
        let tx: zkpension_core::Transaction =
            Deposit::sign(&self.chain, amount, g.funders[0].deposits, &self.state).into();
        self.client.submit(&tx)?;
        let h = self
            .client
            .wait_included(&tx.id(), Duration::from_secs(60))?;
        self.say(
            json!({"event": "deposit", "funder": "state", "amount": amount, "height": h}),
            format!("  the state deposits {} into the subsidy pool (block {h}): every contribution is matched 50 cents per unit until it runs dry", money(amount)),
        );
        Ok(())
    }

    /// The authority schedules a cap 10% higher, `min_delay` epochs ahead;
    /// a 50% raise is refused by the genesis's step limit.
    fn govern(&mut self) -> anyhow::Result<()> {
        let s = self.client.status()?;
        let g = self.client.governance()?;
        let effective = s.epoch + g.min_delay;
        let too_much = Params {
            cap: s.params.cap / 2 * 3,
            ..s.params
        };
        let tx = roles::set_params(
            &self.chain,
            too_much,
            effective,
            s.authority_nonce,
            &self.authority,
        );
        let refused = match self.client.submit(&tx) {
            Err(zkpension_prover::member::ClientError::Rejected { reason, .. }) => reason.code,
            Ok(_) => bail!("a 50% raise of the cap was accepted"),
            Err(e) => return Err(e.into()),
        };
        let raised = Params {
            cap: s.params.cap + s.params.cap / 10,
            ..s.params
        };
        let tx = roles::set_params(
            &self.chain,
            raised,
            effective,
            s.authority_nonce,
            &self.authority,
        );
        self.client.submit(&tx)?;
        let h = self
            .client
            .wait_included(&tx.id(), Duration::from_secs(60))?;
        self.say(
            json!({"event": "set_params", "cap": raised.cap, "effective_epoch": effective, "height": h,
                   "refused": {"cap": too_much.cap, "code": refused}}),
            format!(
                "  the authority schedules cap {} from epoch {effective} (block {h}); every member sees it {} epochs ahead. \
                 A raise to {} is refused ({refused}): the genesis allows 10% per change",
                money(raised.cap),
                g.min_delay,
                money(too_much.cap)
            ),
        );
        Ok(())
    }

    fn contribute(&mut self, m: &mut Member, amount: u64) -> anyhow::Result<()> {
        m.session.sync()?;
        let status = self.client.status()?;
        let start = Instant::now();
        let reference = format!("{} payroll epoch {}", m.name, status.epoch);
        let action = Action::Contribute {
            amount,
            payer_ref: reference.into_bytes(),
        };
        match m.session.prepare(&self.keys, &action, &mut OsRng) {
            Ok(p) => {
                let ms = start.elapsed().as_secs_f64() * 1e3;
                self.prove_ms.push(ms);
                let matched = p.matched();
                let h = self.submit(m, p)?;
                let bal = m.wallet().current_note().map(|n| n.note.balance).unwrap_or(0);
                let with = if matched > 0 { format!(" + {} matched", money(matched)) } else { String::new() };
                self.say(
                    json!({"event": "contribute", "member": m.name, "amount": amount, "matched": matched, "height": h, "prove_ms": ms, "balance": bal}),
                    format!("{:>6} contributes {:>6}{with}: proved in {ms:.0} ms, in block {h}; balance now {}", m.name, money(amount), money(bal)),
                );
            }
            Err(FlowError::Rule { clause, explanation }) => self.say(
                json!({"event": "refused", "member": m.name, "what": "contribute", "amount": amount, "reason": explanation, "clause": clause.to_string()}),
                format!("{:>6} tries to contribute {}: refused by the rules: {explanation}", m.name, money(amount)),
            ),
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// Dana, Carol's heir, tries to inherit Carol's account from the watch
    /// wallet of its viewing key; before the dormancy she is told from when.
    fn inherit(&mut self, watch: &mut MemberSession, heir: &SpendingKey) -> anyhow::Result<()> {
        let start = Instant::now();
        let recipient = b"bank account of dana";
        match watch.prepare_inheritance(&self.keys, heir, recipient, &mut OsRng) {
            Ok(i) => {
                let ms = start.elapsed().as_secs_f64() * 1e3;
                self.prove_ms.push(ms);
                let t = Instant::now();
                self.client.submit(&i.tx)?;
                let h = self.client.wait_included(&i.tx.id(), Duration::from_secs(60))?;
                self.include_ms.push(t.elapsed().as_secs_f64() * 1e3);
                watch.sync()?;
                self.say(
                    json!({"event": "inherit", "heir": "dana", "member": "carol", "amount": i.amount, "epoch": i.epoch,
                           "member_last_active": i.last_active, "height": h, "prove_ms": ms}),
                    format!("  dana inherits carol's whole balance {} (carol last acted in epoch {}): proved in {ms:.0} ms, in block {h}; the account is closed", money(i.amount), i.last_active),
                );
            }
            Err(InheritError::NotDormant { from, epoch, .. }) => self.say(
                json!({"event": "refused", "member": "dana", "what": "inherit", "epoch": epoch, "dormant_from": from}),
                format!("  dana tries to inherit carol's account in epoch {epoch}: refused, carol's account is dormant only from epoch {from} ({DEMO_DORMANCY} epochs without an action)"),
            ),
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    fn claim(&mut self, m: &mut Member) -> anyhow::Result<()> {
        m.session.sync()?;
        let start = Instant::now();
        let recipient = format!("bank account of {}", m.name);
        let action = Action::Claim {
            recipient: recipient.into_bytes(),
        };
        match m.session.prepare(&self.keys, &action, &mut OsRng) {
            Ok(p) => {
                let ms = start.elapsed().as_secs_f64() * 1e3;
                self.prove_ms.push(ms);
                let paid = m.wallet().current_note().map(|n| n.note.balance).unwrap_or(0) - p.new_note.balance;
                let h = self.submit(m, p)?;
                let n = &m.wallet().current_note().context("claimed note")?.note;
                self.say(
                    json!({"event": "claim", "member": m.name, "amount": paid, "pension": n.pension, "height": h, "prove_ms": ms, "balance": n.balance}),
                    format!("{:>6} claims a pension of {}: proved in {ms:.0} ms, in block {h}; balance now {}", m.name, money(paid), money(n.balance)),
                );
            }
            Err(FlowError::Rule { clause, explanation }) => self.say(
                json!({"event": "refused", "member": m.name, "what": "claim", "reason": explanation, "clause": clause.to_string()}),
                format!("{:>6} tries to claim: refused by the rules: {explanation}", m.name),
            ),
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }
}

pub fn run(args: Args, out: &Output) -> anyhow::Result<()> {
    let total = Instant::now();
    let keys_dir = args.keys.resolve_or_generate(out)?;
    let keys = args.prover.load(&keys_dir)?;
    let vk_ids = VerifierKeys::load_dir(&keys_dir)?.ids();
    let transcript = keys.manifest().ceremony.clone();
    if transcript.is_none() {
        out.note(
            "note: this demo's keys come from a single-party setup: whoever made them could \
             forge proofs; a real deployment makes its keys with `zkpension ceremony`",
        );
    }
    let tmp;
    let tmp_data = args.data.is_none();
    let data = match args.data {
        Some(d) => {
            if d.exists() {
                bail!(
                    "{} exists; the demo starts a new chain in an empty directory",
                    d.display()
                );
            }
            d
        }
        None => {
            tmp = tempfile::tempdir().context("creating a temporary directory")?;
            tmp.path().join("node")
        }
    };
    let registrar = SigningKey::generate(&mut OsRng);
    let authority = SigningKey::generate(&mut OsRng);
    let state = SigningKey::generate(&mut OsRng);
    // Payout details go to the paying agent sealed; the ledger holds ciphertexts.
    let agent = AgentKey::generate(&mut OsRng);
    let chain = ChainId::from_name("zkpension-demo");
    let params = Params {
        cap: 100_000,
        min_periods: 2,
        divisor: 4,
    };
    let genesis = Genesis {
        chain_id: chain,
        registrar: FixedBytes(registrar.verifying_key().to_bytes()),
        authority: FixedBytes(authority.verifying_key().to_bytes()),
        params: GenesisParams {
            cap: params.cap,
            min_periods: params.min_periods,
            divisor: params.divisor,
            anchor_window: 256,
        },
        initial_epoch: 1,
        paying_agent: Some(FixedBytes(agent.public())),
        // Parameters within bounds, at most 10% per change, 2 epochs' notice.
        governance: Some(zkpension_core::Governance::defaults_for(&params)),
        // The state matches 50 cents per unit paid in, from what it deposits.
        subsidy: Some(Subsidy {
            match_rate: 500,
            funders: vec![Funder {
                name: "state".into(),
                key: FixedBytes(state.verifying_key().to_bytes()),
            }],
        }),
        ceremony: transcript
            .and_then(|c| zkpension_verifier::id_from_hex(&c.transcript_hash).ok())
            .map(FixedBytes),
        // An heir may inherit an account its member left alone for 3 epochs.
        dormancy: Some(DEMO_DORMANCY),
        verifying_keys: vk_ids
            .into_iter()
            .map(|(s, id)| (s, FixedBytes(id)))
            .collect(),
    };
    let mut config = NodeConfig::new(data.clone(), genesis, keys_dir.clone());
    config.block_interval = Duration::from_millis(50);
    config.listen = args.listen;
    let node = Node::start(config)
        .with_context(|| format!("starting the embedded node on {}", args.listen))?;
    let client = NodeClient::new(&node.url());
    let mut d = Demo {
        client,
        keys,
        chain,
        authority,
        state,
        out_json: out.json,
        log: Vec::new(),
        prove_ms: Vec::new(),
        include_ms: Vec::new(),
    };
    d.say(
        json!({"event": "node", "url": node.url(), "cap": params.cap, "min_periods": params.min_periods, "divisor": params.divisor}),
        format!(
            "node at {} (data {}); rules: cap {} per epoch, {} contributing epochs before a pension, first pension = ceil(balance / {})",
            node.url(), data.display(), money(params.cap), params.min_periods, params.divisor
        ),
    );

    // Enrollment.
    // The members' wallet files live beside the node's database.
    let wallets = data.join("wallets");
    let mut members: Vec<Member> = Vec::new();
    // Bob's recovery phrase: all he will have left when his wallet file is lost.
    let mut bobs_phrase = Zeroizing::new(String::new());
    for name in ["alice", "bob", "carol"] {
        let path = wallets.join(format!("{name}.json"));
        let (wallet, phrase) = Wallet::generate(&mut OsRng);
        if name == "bob" {
            bobs_phrase.push_str(&phrase.to_string());
        }
        let session = MemberSession::create(&path, wallet, d.client.clone())
            .with_context(|| format!("creating {name}'s wallet"))?;
        members.push(Member { name, session });
    }
    d.say(json!({"event": "epoch", "epoch": 1}), "\n== epoch 1".into());
    for (m, eligible) in members.iter_mut().zip([3u64, 4, 9]) {
        let req = m.session.enroll_request(chain, eligible)?;
        let tx: zkpension_core::Transaction =
            roles::approve(&req, &chain, &registrar, Some(eligible))?.into();
        d.client.submit(&tx)?;
        let h = d.client.wait_included(&tx.id(), Duration::from_secs(60))?;
        m.session.sync()?;
        d.say(
            json!({"event": "enroll", "member": m.name, "eligible_epoch": eligible, "height": h}),
            format!("registrar enrolls {:>6} (eligible from epoch {eligible}): commitment {}.. in block {h}", m.name, &req.cm.to_hex()[..14]),
        );
    }
    let [alice, bob, carol] = &mut members[..] else {
        unreachable!()
    };
    d.contribute(alice, 40_000)?;
    d.contribute(bob, 60_000)?;
    d.contribute(carol, 30_000)?;
    d.contribute(bob, 50_000)?; // over the cap of 1,000.00 in one epoch
    d.contribute(bob, 40_000)?; // exactly at the cap
    d.advance()?;
    d.govern()?;
    d.contribute(alice, 40_000)?;
    d.contribute(bob, 100_000)?;
    d.contribute(carol, 25_000)?;
    d.claim(alice)?; // eligible only from epoch 3
    d.advance()?;
    d.claim(alice)?;
    d.claim(alice)?; // second claim in one epoch
    d.deposit(20_000)?;
    d.contribute(bob, 60_000)?; // matched 200.00 of its 300.00: the pool runs dry
    d.contribute(carol, 10_000)?; // nothing left to match
    d.advance()?;
    d.claim(alice)?;
    d.claim(bob)?;
    // Carol proves to a landlord that she has at least 500.00 saved over 2 epochs.
    carol.session.sync()?;
    let req = AttestRequest {
        context: "landlord:flat-12".into(),
        min_balance: 50_000,
        min_periods: 2,
        require_eligible: false,
        message: b"tenancy application 2026-11".to_vec(),
    };
    // In the same proof, hidden like everything else, she names her
    // daughter Dana as her heir.
    let (dana, _) = Wallet::generate(&mut OsRng);
    let start = Instant::now();
    let naming = Naming {
        action: &Action::Attest(req.clone()),
        heir: Some(dana.owner),
    };
    let p = carol.session.prepare_naming(&d.keys, naming, &mut OsRng)?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    d.prove_ms.push(ms);
    let h = d.submit(carol, p)?;
    let seen = d
        .client
        .attestations(&zkpension_circuits::binding::context_from_text(
            &req.context,
        ))?;
    let record = seen
        .attestations
        .first()
        .context("the attestation is on the ledger")?;
    d.say(
        json!({"event": "attest", "member": "carol", "context": req.context, "height": h, "prove_ms": ms,
               "landlord_sees": {"tag": record.tag.to_hex(), "min_balance": record.min_balance, "min_periods": record.min_periods}}),
        format!(
            "  carol attests to landlord:flat-12 (balance >= 500.00, >= 2 periods): in block {h}; the landlord sees pseudonym {} and nothing else",
            record.tag.to_hex()
        ),
    );
    d.say(
        json!({"event": "name_heir", "member": "carol", "heir": field::to_hex(&dana.owner), "height": h}),
        "  in the same proof carol names her daughter dana as her heir (the ledger cannot see it) and gives her the account's viewing key".into(),
    );
    let mut dana_watch = MemberSession::create(
        &wallets.join("dana-watches-carol.json"),
        Wallet::watch_only(carol.wallet().viewing_key()),
        d.client.clone(),
    )?;

    // Bob loses his wallet file; his 24 words and the public chain give the
    // account back (SPEC §2, "Recovery"), and he claims with it.
    let before = bob.wallet().current_note().cloned();
    std::fs::remove_file(bob.session.path()).context("deleting bob's wallet file")?;
    let start = Instant::now();
    let mut recovered = Wallet::from_mnemonic(&parse_phrase(&bobs_phrase)?);
    let report = sync::sync(&mut recovered, &d.client)?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    if recovered.current_note() != before.as_ref() {
        bail!("bob's recovered account differs from the one he lost");
    }
    bob.session = MemberSession::create(
        &wallets.join("bob-recovered.json"),
        recovered,
        d.client.clone(),
    )?;
    d.say(
        json!({"event": "recover", "member": "bob", "transactions_replayed": report.followed, "enrolled_at": report.enrollment_found,
               "balance": before.as_ref().map(|n| n.note.balance), "ms": ms}),
        format!(
            "  bob loses his wallet file; from his 24 words alone he finds his enrollment (block {}) and replays {} transactions from the public chain in {ms:.0} ms: balance {} again",
            report.enrollment_found.unwrap_or(0), report.followed, money(before.map_or(0, |n| n.note.balance))
        ),
    );
    d.advance()?;
    d.claim(bob)?;

    // Carol dies after her attestation; once her account has been dormant
    // for the genesis's dormancy, Dana inherits it.
    let dana_sk = dana.spending_key("inherit")?.clone();
    d.inherit(&mut dana_watch, &dana_sk)?; // not dormant yet
    d.advance()?;
    d.claim(alice)?;
    d.advance()?;
    d.inherit(&mut dana_watch, &dana_sk)?;
    carol.session.sync()?;

    let ok = report::report(&d, &members, &agent, &chain, total, out)?;
    if !ok {
        node.shutdown().context("stopping the node")?;
        bail!("the ledger's totals do not add up");
    }
    if args.keep_node {
        let url = node.url();
        if out.json {
            out.print_json(
                &json!({"event": "serving", "url": url, "explorer": format!("{url}/explorer")}),
            )?;
        } else {
            crate::outln!(
                "\nexplorer: {url}/explorer  (the node keeps running; audit it with \
                 `zkpension audit --node {url}`; Ctrl-C stops it{})",
                if tmp_data {
                    " and deletes its temporary data"
                } else {
                    ""
                }
            );
        }
        use std::io::Write;
        std::io::stdout().flush().ok();
        node.run_until_signal().context("running the node")?;
    } else {
        node.shutdown().context("stopping the node")?;
    }
    Ok(())
}
