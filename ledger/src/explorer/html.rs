//! The explorer's pages. [`maud`] escapes every interpolated value, so text
//! from transactions can never become markup.

use super::LATEST_BLOCKS;
use crate::state::EpochRow;
use maud::{html, Markup, DOCTYPE};
use zkpension_core::views::{
    AttestationRecord, BlockView, GenesisView, StatusView, TxState, TxView,
};
use zkpension_core::{format_amount, BlockHeader, Params, Transaction, TxId};

const STYLE: &str = "
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1060px;padding:0 16px;color:#1b1f24}
header{display:flex;align-items:baseline;gap:16px;border-bottom:1px solid #d0d7de;margin-bottom:8px}
header a{color:inherit;text-decoration:none}
h1{font-size:22px;margin:14px 0}h2{font-size:17px;margin:22px 0 6px}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:3px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}
th{font-weight:600;color:#57606a}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
code{font:13px ui-monospace,monospace;word-break:break-all}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}dl.kv dt{color:#57606a}dl.kv dd{margin:0}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid #d0d7de;border-radius:6px;padding:8px 14px;min-width:150px}
.card .v{font-size:20px;font-variant-numeric:tabular-nums}.card .l{color:#57606a;font-size:13px}
.warn{color:#9a6700}.ok{color:#1a7f37}.bad{color:#cf222e}
form input{font:inherit;padding:3px 6px;margin-right:8px}form input[type=text]{width:300px}
svg text{font:11px system-ui,sans-serif;fill:#57606a}
";

fn page(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · zkpension explorer" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { a href="/explorer" { "zkpension explorer" } }
                    nav { a href="/explorer/blocks" { "blocks" } " · " a href="/v1/status" { "JSON" } }
                }
                (body)
            }
        }
    }
    .into_string()
}

pub(super) fn error_page(title: &str, message: &str) -> String {
    page(
        title,
        html! {
            h2 { (title) }
            p #error { (message) }
            p { a href="/explorer" { "Back to the explorer" } }
        },
    )
}

fn short(s: &str) -> String {
    if s.len() > 20 {
        format!("{}…{}", &s[..12], &s[s.len() - 6..])
    } else {
        s.to_string()
    }
}

fn params_rows(p: &Params) -> Markup {
    html! {
        dt { "cap per account and epoch" } dd { (format_amount(p.cap)) }
        dt { "contributing epochs before a pension" } dd { (p.min_periods) }
        dt { "pension divisor" } dd { "first pension = ceil(balance / " (p.divisor) ")" }
    }
}

/// The home page.
pub(super) fn home(
    status: &StatusView,
    genesis: &GenesisView,
    history: &[EpochRow],
    latest: &[BlockView],
) -> String {
    let t = &status.totals;
    let body = html! {
        section #head {
            h2 { "Head" }
            dl.kv {
                dt { "height" } dd #height { (status.height) }
                dt { "epoch" } dd #epoch { (status.epoch) }
                dt { "tip" } dd { code { (status.tip_hash) } }
                dt { "state root" } dd { code #state-root { (status.state_root) } }
                dt { "transactions" } dd #tx-count { (status.tx_count) }
                dt { "members' notes (leaves)" } dd { (status.leaf_count) }
                dt { "attestations" } dd { (status.attestation_count) }
                dt { "queued" } dd { (status.mempool) " of " (status.mempool_capacity) }
            }
            p { "The protocol keeps no clock: epochs are its time, advanced by the authority." }
        }
        section #totals {
            h2 { "Money" }
            div.cards {
                div.card { div.v #total-in { (format_amount(t.contributed)) } div.l { "money in (contributions)" } }
                div.card { div.v #total-out { (format_amount(t.paid_out)) } div.l { "money out (pensions)" } }
                @if let Some(sub) = &t.subsidy {
                    div.card { div.v #total-matched { (format_amount(sub.matched)) } div.l { "matched from the subsidy pool" } }
                    div.card { div.v #pool { (format_amount(t.pool)) } div.l { "pool = in + matched − out" } }
                    div.card { div.v #subsidy-funded { (format_amount(sub.funded)) } div.l { "money in (funders)" } }
                    div.card { div.v #subsidy-left { (format_amount(sub.available)) } div.l { "subsidy left = funded − matched" } }
                } @else {
                    div.card { div.v #pool { (format_amount(t.pool)) } div.l { "pool = in − out" } }
                }
            }
            (chart(history))
            (history_table(history))
        }
        section #latest {
            h2 { "Latest blocks" }
            (blocks_table(latest))
            @if status.height > LATEST_BLOCKS {
                p { a href={ "/explorer/blocks?to=" (status.height - LATEST_BLOCKS) } { "Older blocks" } }
            }
        }
        section #params {
            h2 { "Rules" }
            dl.kv {
                (params_rows(&status.params))
                dt { "anchor window" } dd { (status.anchor_window) " tree roots" }
            }
            @match &status.pending_params {
                Some(p) => {
                    h2 { "Pending change (in force from epoch " (p.effective_epoch) ")" }
                    dl.kv #pending { (params_rows(&p.params)) }
                }
                None => p #pending { "No change of the rules is pending." }
            }
        }
        section #keys {
            h2 { "Keys and setup" }
            dl.kv {
                dt { "chain id" } dd { code { (hex32(&genesis.genesis.chain_id.0)) } }
                dt { "genesis" } dd { code { (genesis.hash) } }
                @for (statement, id) in &status.verifying_keys {
                    dt { (statement) " verifying key" } dd { code { (id) } }
                }
                dt { "setup" }
                @match &genesis.genesis.ceremony {
                    Some(h) => dd #setup { "multi-party ceremony, transcript " code { (h) } }
                    None => dd #setup .warn { "single-party: whoever made the keys could forge proofs" }
                }
                dt { "paying agent" }
                @match &genesis.genesis.paying_agent {
                    Some(k) => dd { "payout details are sealed to " code { (k) } }
                    None => dd .warn { "none: claims' recipients and payer references are public" }
                }
            }
        }
        section #attest {
            h2 { "Check an attestation" }
            p { "A member attests to you (a landlord, a bank) with a context you agreed on and shows you a pseudonym. Enter both:" }
            (attest_form("", ""))
        }
    };
    page("Overview", body)
}

fn hex32(b: &[u8; 32]) -> String {
    let mut s = String::with_capacity(66);
    s.push_str("0x");
    for x in b {
        s.push_str(&format!("{x:02x}"));
    }
    s
}

fn attest_form(context: &str, pseudonym: &str) -> Markup {
    html! {
        form method="get" action="/explorer/attestation" {
            label { "context " input type="text" name="context" value=(context) placeholder="landlord:flat-12"; }
            label { "pseudonym " input type="text" name="pseudonym" value=(pseudonym) placeholder="0x…"; }
            input type="submit" value="Check";
        }
    }
}

/// A line chart of money in, money out and the pool over the sampled epochs,
/// as inline SVG (no script), with the figures in a table below.
fn chart(rows: &[EpochRow]) -> Markup {
    const W: f64 = 720.0;
    const H: f64 = 220.0;
    const L: f64 = 70.0;
    const B: f64 = 24.0;
    if rows.len() < 2 {
        return html! { p { "The chart starts once blocks in two epochs exist." } };
    }
    let max = rows.iter().map(|r| r.contributed).max().unwrap_or(0).max(1) as f64;
    let (e0, e1) = (rows[0].epoch as f64, rows[rows.len() - 1].epoch as f64);
    let span = (e1 - e0).max(1.0);
    let x = |e: u64| L + (e as f64 - e0) / span * (W - L - 10.0);
    let y = |v: u64| 10.0 + (1.0 - v as f64 / max) * (H - B - 10.0);
    let line = |f: fn(&EpochRow) -> u64| {
        rows.iter()
            .map(|r| format!("{:.1},{:.1}", x(r.epoch), y(f(r))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    type Series = (&'static str, &'static str, fn(&EpochRow) -> u64);
    let series: [Series; 3] = [
        ("money in", "#0969da", |r| r.contributed),
        ("money out", "#cf222e", |r| r.paid_out),
        ("pool", "#1a7f37", |r| r.pool),
    ];
    html! {
        svg #chart width=(W) height=(H) viewBox={ "0 0 " (W) " " (H) } role="img"
            aria-label="money in, money out and the pool by epoch" {
            line x1=(L) y1=(H - B) x2=(W - 10.0) y2=(H - B) stroke="#d0d7de" {}
            line x1=(L) y1="10" x2=(L) y2=(H - B) stroke="#d0d7de" {}
            text x=(L - 6.0) y="16" text-anchor="end" { (format_amount(max as u64)) }
            text x=(L - 6.0) y=(H - B) text-anchor="end" { "0" }
            text x=(L) y=(H - 6.0) { "epoch " (rows[0].epoch) }
            text x=(W - 10.0) y=(H - 6.0) text-anchor="end" { "epoch " (rows[rows.len() - 1].epoch) }
            @for (i, (name, colour, f)) in series.iter().enumerate() {
                polyline points=(line(*f)) fill="none" stroke=(colour) stroke-width="2" {}
                rect x={ (L + 10.0 + i as f64 * 110.0) } y="4" width="10" height="10" fill=(colour) {}
                text x={ (L + 24.0 + i as f64 * 110.0) } y="13" { (name) }
            }
        }
    }
}

fn history_table(rows: &[EpochRow]) -> Markup {
    // The most recent epochs, newest first; the chart shows the whole span.
    html! {
        table #epochs {
            thead { tr { th.n { "epoch" } th.n { "blocks" } th.n { "transactions" } th.n { "money in" } th.n { "money out" } th.n { "pool" } } }
            tbody {
                @for r in rows.iter().rev().take(8) {
                    tr {
                        td.n { (r.epoch) }
                        td.n { (r.first_height) "–" (r.last_height) }
                        td.n { (r.txs) }
                        td.n { (format_amount(r.contributed)) }
                        td.n { (format_amount(r.paid_out)) }
                        td.n { (format_amount(r.pool)) }
                    }
                }
            }
        }
    }
}

fn kinds(b: &BlockView) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for t in &b.transactions {
        let k = t.tx.kind().name();
        match counts.iter_mut().find(|(n, _)| *n == k) {
            Some((_, c)) => *c += 1,
            None => counts.push((k, 1)),
        }
    }
    counts
        .iter()
        .map(|(k, c)| {
            if *c == 1 {
                k.to_string()
            } else {
                format!("{c} × {k}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn blocks_table(blocks: &[BlockView]) -> Markup {
    html! {
        table.blocks {
            thead { tr { th.n { "height" } th.n { "epoch" } th.n { "txs" } th { "kinds" } th { "hash" } } }
            tbody {
                @for b in blocks {
                    tr {
                        td.n { a href={ "/explorer/block/" (b.header.height) } { (b.header.height) } }
                        td.n { (b.header.epoch) }
                        td.n { (b.transactions.len()) }
                        td { (kinds(b)) }
                        td { code { (short(&b.hash.to_string())) } }
                    }
                }
            }
        }
    }
}

pub(super) fn blocks_page(tip: u64, blocks: &[BlockView]) -> String {
    let lowest = blocks.last().map_or(0, |b| b.header.height);
    let highest = blocks.first().map_or(0, |b| b.header.height);
    page(
        "Blocks",
        html! {
            h2 { "Blocks " (lowest) "–" (highest) " of " (tip) }
            (blocks_table(blocks))
            p {
                @if highest < tip { a href={ "/explorer/blocks?to=" (tip.min(highest + LATEST_BLOCKS)) } { "Newer" } " " }
                @if lowest > 1 { a href={ "/explorer/blocks?to=" (lowest - 1) } { "Older" } }
            }
        },
    )
}

fn header_rows(h: &BlockHeader, hash: &str) -> Markup {
    html! {
        dt { "height" } dd { (h.height) }
        dt { "hash" } dd { code { (hash) } }
        dt { "previous" } dd { code { (h.prev_hash) } }
        dt { "epoch after the block" } dd { (h.epoch) }
        dt { "transaction root" } dd { code { (h.tx_root) } }
        dt { "state root" } dd { code { (h.state_root) } }
    }
}

pub(super) fn block_page(tip: u64, b: &BlockView) -> String {
    let h = b.header.height;
    page(
        &format!("Block {h}"),
        html! {
            h2 { "Block " (h) }
            dl.kv {
                (header_rows(&b.header, &b.hash.to_string()))
                dt { "tree root after" } dd { code { (b.tree_root) } }
                dt { "new leaves" } dd { (b.leaf_start) "…" (b.leaf_count) }
            }
            p {
                @if h > 1 { a href={ "/explorer/block/" (h - 1) } { "Previous" } " " }
                @if h < tip { a href={ "/explorer/block/" (h + 1) } { "Next" } }
            }
            h2 { (b.transactions.len()) " transactions" }
            @for (i, t) in b.transactions.iter().enumerate() {
                h2 { (i) ": " (t.tx.kind().name()) " " a href={ "/explorer/tx/" (t.id) } { code { (short(&t.id.to_string())) } } }
                (tx_fields(t))
            }
        },
    )
}

/// A context (payer reference, recipient, message): its text when it is
/// printable UTF-8, else its size (sealed for the paying agent, or binary).
fn context(bytes: &[u8]) -> Markup {
    match std::str::from_utf8(bytes) {
        Ok("") => html! { "(empty)" },
        Ok(s) if !s.chars().any(char::is_control) => html! { span.text { (s) } },
        _ => html! { (bytes.len()) " bytes, sealed or binary" },
    }
}

fn tx_fields(t: &TxView) -> Markup {
    let spend = |s: &zkpension_core::tx::SpendHeader| {
        html! {
            dt { "anchor" } dd { code { (s.anchor) } }
            dt { "nullifier" } dd { code { (s.nf) } }
            dt { "new note commitment" } dd { code { (s.cm_new) } }
            dt { "heir (masked)" } dd { code { (zkpension_circuits::field::to_hex(&s.heir_ct)) } }
        }
    };
    html! {
        dl.kv.tx {
            dt { "id" } dd { code { (t.id) } }
            dt { "kind" } dd { (t.tx.kind().name()) }
            @match &t.tx {
                Transaction::Enroll(e) => {
                    dt { "note commitment" } dd { code { (e.body.cm) } }
                    dt { "authorized by" } dd { "the registrar's signature" }
                }
                Transaction::Contribute(c) => {
                    dt { "amount" } dd.amount { (format_amount(c.body.amount)) }
                    @if c.body.matched > 0 {
                        dt { "matched from the subsidy pool" } dd.amount { (format_amount(c.body.matched)) }
                    }
                    dt { "epoch" } dd { (c.body.epoch) }
                    dt { "payer reference" } dd { (context(c.body.payer_ref.as_slice())) }
                    (spend(&c.body.spend))
                    dt { "authorized by" } dd { "a Contribute proof" }
                }
                Transaction::Claim(c) => {
                    dt { "amount" } dd.amount { (format_amount(c.body.amount)) }
                    dt { "epoch" } dd { (c.body.epoch) }
                    dt { "recipient" } dd { (context(c.body.recipient.as_slice())) }
                    (spend(&c.body.spend))
                    dt { "authorized by" } dd { "a Claim proof" }
                }
                Transaction::Attest(a) => {
                    dt { "context" } dd { code { (a.body.context) } }
                    dt { "pseudonym" } dd { code { (a.body.tag) } }
                    dt { "epoch" } dd { (a.body.epoch) }
                    dt { "balance at least" } dd { (format_amount(a.body.min_balance)) }
                    dt { "contributing epochs at least" } dd { (a.body.min_periods) }
                    dt { "eligible for a pension" } dd { @if a.body.require_eligible { "attested" } @else { "not asked" } }
                    dt { "message" } dd.message { (context(a.body.message.as_slice())) }
                    (spend(&a.body.spend))
                    dt { "authorized by" } dd { "an Attest proof" }
                }
                Transaction::Inherit(i) => {
                    dt { "amount" } dd.amount { (format_amount(i.body.amount)) }
                    dt { "epoch" } dd { (i.body.epoch) }
                    dt { "recipient" } dd { (context(i.body.recipient.as_slice())) }
                    dt { "anchor" } dd { code { (i.body.anchor) } }
                    dt { "nullifier" } dd { code { (i.body.nf) } }
                    dt { "new note commitment" } dd { "none: the account is closed" }
                    dt { "authorized by" } dd { "an Inherit proof (the heir named in the note, after the dormancy)" }
                }
                Transaction::AdvanceEpoch(a) => {
                    dt { "to epoch" } dd { (a.body.epoch) }
                    dt { "authority nonce" } dd { (a.body.nonce) }
                    dt { "authorized by" } dd { "the authority's signature" }
                }
                Transaction::SetParams(s) => {
                    (params_rows(&s.body.params))
                    dt { "in force from epoch" } dd { (s.body.effective_epoch) }
                    dt { "authority nonce" } dd { (s.body.nonce) }
                    dt { "authorized by" } dd { "the authority's signature" }
                }
                Transaction::CancelParams(c) => {
                    dt { "withdraws" } dd { "the pending parameter change" }
                    dt { "authority nonce" } dd { (c.body.nonce) }
                    dt { "authorized by" } dd { "the authority's signature" }
                }
                Transaction::Deposit(d) => {
                    dt { "amount" } dd.amount { (format_amount(d.body.amount)) }
                    dt { "into" } dd { "the subsidy pool" }
                    dt { "funder key" } dd { code { (d.body.funder) } }
                    dt { "deposit nonce" } dd { (d.body.nonce) }
                    dt { "authorized by" } dd { "the funder's signature" }
                }
            }
        }
    }
}

pub(super) fn tx_page(id: &TxId, state: &TxState, found: Option<&(BlockHeader, TxView)>) -> String {
    page(
        "Transaction",
        html! {
            h2 { "Transaction " code { (short(&id.to_string())) } }
            @match state {
                TxState::Pending => p #tx-status { "Queued: not in a block yet." },
                TxState::Rejected { reason } => p #tx-status .bad { "Rejected (" (reason.code) "): " (reason.message) },
                TxState::Included { height, index } => p #tx-status .ok {
                    "Included in " a href={ "/explorer/block/" (height) } { "block " (height) } ", position " (index) "."
                },
            }
            @if let Some((header, t)) = found {
                p { "Epoch after its block: " (header.epoch) }
                (tx_fields(t))
            }
        },
    )
}

pub(super) fn attestation_page(
    context_text: &str,
    pseudonym: &str,
    epoch: u64,
    record: Option<&AttestationRecord>,
) -> String {
    page(
        "Attestation",
        html! {
            h2 { "Attestation check" }
            (attest_form(context_text, pseudonym))
            @match record {
                Some(r) => {
                    p #verdict .ok { "Attested in epoch " (r.epoch) " (block " a href={ "/explorer/block/" (r.height) } { (r.height) } "; the ledger is now in epoch " (epoch) ")." }
                    dl.kv {
                        dt { "balance at least" } dd { (format_amount(r.min_balance)) }
                        dt { "contributing epochs at least" } dd { (r.min_periods) }
                        dt { "eligible for a pension" } dd { @if r.require_eligible { "yes, attested" } @else { "not asked" } }
                        dt { "message" } dd.message { (context(r.message.as_slice())) }
                        dt { "transaction" } dd { a href={ "/explorer/tx/" (r.tx_id) } { code { (r.tx_id) } } }
                    }
                }
                None => p #verdict .bad { "No attestation with this pseudonym in this context is on the ledger." },
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkpension_core::tx::{AttestBody, Context, Proved, SpendHeader};

    #[test]
    fn text_from_transactions_is_escaped() {
        let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>&";
        let record = AttestationRecord {
            context: Default::default(),
            tag: Default::default(),
            epoch: 3,
            min_balance: 0,
            min_periods: 0,
            require_eligible: false,
            message: Context::new("message", hostile.as_bytes().to_vec()).unwrap(),
            height: 1,
            index: 0,
            tx_id: Default::default(),
        };
        let html = attestation_page(hostile, hostile, 4, Some(&record));
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));

        let tx = Transaction::Attest(Proved {
            body: AttestBody {
                spend: SpendHeader {
                    anchor: Default::default(),
                    nf: Default::default(),
                    cm_new: Default::default(),
                    heir_ct: Default::default(),
                },
                epoch: 1,
                context: Default::default(),
                tag: Default::default(),
                min_balance: 0,
                min_periods: 0,
                require_eligible: true,
                message: Context::new("message", hostile.as_bytes().to_vec()).unwrap(),
            },
            proof: Default::default(),
        });
        let view = TxView { id: tx.id(), tx };
        let html = tx_fields(&view).into_string();
        assert!(
            !html.contains("<script>") && !html.contains("<img"),
            "{html}"
        );
        assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;&amp;"));
        let err = error_page("Bad request", hostile);
        assert!(!err.contains("<script>"));
    }

    #[test]
    fn sealed_and_binary_contexts_show_their_size_only() {
        assert_eq!(
            context(&[0xff, 0x00, 0x3c]).into_string(),
            "3 bytes, sealed or binary"
        );
        assert_eq!(context(b"a\nb").into_string(), "3 bytes, sealed or binary");
        assert_eq!(context(b"").into_string(), "(empty)");
    }
}
