//! The design system: one stylesheet of tokens and components that the
//! hosted pages and the dashboard share, themed by the instance's branding,
//! light and dark by the reader's preference.
//!
//! The brand colour is whatever the operator chose, so the colours drawn
//! from it are computed to meet WCAG 2.2 AA whatever it is: text on a
//! primary button is black or white, whichever contrasts more (never below
//! 4.5:1 for any colour), and links are the brand colour darkened (light
//! scheme) or lightened (dark scheme) until they reach 4.5:1 on the
//! surface they sit on.

use frontdesk_domain::settings::HexColor;

type Rgb = [u8; 3];

const LIGHT_SURFACE: Rgb = [0xff, 0xff, 0xff];
const DARK_SURFACE: Rgb = [0x16, 0x1b, 0x22];
const NEAR_BLACK: Rgb = [0x11, 0x14, 0x18];
const WHITE: Rgb = [0xff, 0xff, 0xff];
/// Pure black on a button: with white, the pair that keeps every colour at
/// 4.5:1 or better (the worst mid-tone reaches 4.58:1).
const BLACK: Rgb = [0, 0, 0];

/// Relative luminance (WCAG 2.2, 1.4.3).
fn luminance(c: Rgb) -> f64 {
    let lin = |v: u8| {
        let s = f64::from(v) / 255.0;
        if s <= 0.04045 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
}

/// The contrast ratio of two colours, 1 to 21.
fn contrast(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// Text colour for a surface of colour `c`.
fn on(c: Rgb) -> Rgb {
    if contrast(c, WHITE) >= contrast(c, BLACK) {
        WHITE
    } else {
        BLACK
    }
}

/// `c` moved towards `toward` in steps until it reads at 4.5:1 on `surface`.
fn readable(c: Rgb, surface: Rgb, toward: Rgb) -> Rgb {
    let mut out = c;
    for step in 0..=20 {
        let t = f64::from(step) / 20.0;
        let mix = |i: usize| (f64::from(c[i]) * (1.0 - t) + f64::from(toward[i]) * t).round() as u8;
        out = [mix(0), mix(1), mix(2)];
        if contrast(out, surface) >= 4.5 {
            break;
        }
    }
    out
}

fn hex(c: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// The whole stylesheet for `primary`.
pub fn stylesheet(primary: &HexColor) -> String {
    let p = primary.rgb();
    let tokens = format!(
        ":root {{ --fd-primary: {primary}; --fd-on-primary: {on}; --fd-link: {link}; }}\n\
         @media (prefers-color-scheme: dark) {{ :root {{ --fd-link: {dark_link}; }} }}\n",
        primary = hex(p),
        on = hex(on(p)),
        link = hex(readable(p, LIGHT_SURFACE, NEAR_BLACK)),
        dark_link = hex(readable(p, DARK_SURFACE, WHITE)),
    );
    tokens + STYLES
}

/// Tokens (colours, radii, spacing), then components: the hosted pages'
/// card, fields with their errors, buttons, alerts, tables, badges; then
/// the dashboard's frame (navigation beside the content, on top on a
/// phone), toolbars, statistics and charts.
const STYLES: &str = r#":root { color-scheme: light dark;
  --fd-bg: #f5f6f8; --fd-surface: #ffffff; --fd-sunken: #f0f2f5; --fd-text: #1b1f24; --fd-muted: #555e69;
  --fd-border: #d4d9e0; --fd-strong-border: #8a929c; --fd-danger: #b42318; --fd-danger-bg: #fef3f2;
  --fd-success: #17692e; --fd-success-bg: #edfaf1; --fd-warning: #8a5a00; --fd-warning-bg: #fff8e6;
  --fd-radius: 10px; --fd-radius-sm: 6px; --fd-shadow: 0 1px 2px rgba(16,24,40,.06), 0 1px 3px rgba(16,24,40,.10); }
@media (prefers-color-scheme: dark) { :root {
  --fd-bg: #0d1117; --fd-surface: #161b22; --fd-sunken: #1f252d; --fd-text: #e6edf3; --fd-muted: #a4aeb9;
  --fd-border: #30363d; --fd-strong-border: #7d8590; --fd-danger: #ff8c82; --fd-danger-bg: #2d1615;
  --fd-success: #56d364; --fd-success-bg: #12261b; --fd-warning: #e3b341; --fd-warning-bg: #2b2111;
  --fd-shadow: 0 1px 3px rgba(0,0,0,.5); } }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; min-height: 100vh; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fd-text); background: var(--fd-bg); }
body.hosted { display: flex; align-items: flex-start; justify-content: center; }
a { color: var(--fd-link); text-underline-offset: 2px; }
:focus-visible { outline: 3px solid var(--fd-link); outline-offset: 2px; border-radius: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--fd-surface); padding: .5rem 1rem; z-index: 10; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.skip:focus { left: .5rem; top: .5rem; }
h1 { margin: .25rem 0 0; font-size: 1.5rem; line-height: 1.25; letter-spacing: -.01em; overflow-wrap: anywhere; }
h2 { font-size: 1.0625rem; margin: 1.75rem 0 .75rem; }
h3 { font-size: 1rem; margin: 1.25rem 0 .5rem; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .875em; }
pre { white-space: pre-wrap; word-break: break-all; margin: 0; }
dd code, p code, li code { overflow-wrap: anywhere; word-break: break-all; }

/* The hosted pages' card. */
.card { width: 100%; max-width: 28rem; margin: 2.5rem 1rem; padding: 2rem; background: var(--fd-surface);
  border: 1px solid var(--fd-border); border-radius: 14px; box-shadow: var(--fd-shadow); }
.card.wide { max-width: 52rem; }
@media (max-width: 480px) { .card { margin: 0; border-radius: 0; border: 0; box-shadow: none; padding: 1.25rem; } }
header { margin-bottom: 1.25rem; }
.logo { max-height: 48px; max-width: 100%; display: block; margin-bottom: .5rem; }
.brand { margin: 0; color: var(--fd-muted); font-size: .875rem; font-weight: 600; }

/* Fields. */
.field { margin-bottom: 1rem; }
label { display: block; font-weight: 600; margin-bottom: .25rem; font-size: .9375rem; }
.optional, .hint { color: var(--fd-muted); font-weight: 400; font-size: .875rem; }
.hint { margin: 0 0 .25rem; }
input[type=email], input[type=password], input[type=text], input[type=search], input[type=date],
input[type=number], input[type=url], select, textarea { width: 100%; padding: .625rem .75rem; font: inherit;
  color: var(--fd-text); background: var(--fd-surface); border: 1px solid var(--fd-strong-border);
  border-radius: var(--fd-radius-sm); min-height: 44px; }
textarea { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .875rem; min-height: 7rem; }
input[aria-invalid=true], textarea[aria-invalid=true] { border-color: var(--fd-danger); border-width: 2px; }
.field-error { color: var(--fd-danger); font-size: .875rem; margin: .25rem 0 0; }
.check { display: flex; gap: .5rem; align-items: center; font-weight: 400; }

/* Messages. */
.alert, .notice, .warning { padding: .75rem 1rem; border-radius: var(--fd-radius-sm); margin: 0 0 1rem; font-size: .9375rem; }
.alert { color: var(--fd-danger); background: var(--fd-danger-bg); border: 1px solid var(--fd-danger); }
.notice { color: var(--fd-success); background: var(--fd-success-bg); border: 1px solid var(--fd-success); }
.warning { color: var(--fd-warning); background: var(--fd-warning-bg); border: 1px solid var(--fd-warning); }

/* Buttons. */
button, .button { display: inline-flex; align-items: center; justify-content: center; gap: .375rem;
  font: inherit; font-weight: 600; font-size: .9375rem; padding: .5625rem 1rem; min-height: 44px;
  border-radius: var(--fd-radius-sm); cursor: pointer; text-decoration: none;
  border: 1px solid var(--fd-primary); background: var(--fd-primary); color: var(--fd-on-primary); }
button.primary { width: 100%; }
button.secondary, .button.secondary { background: var(--fd-surface); color: var(--fd-link); border-color: var(--fd-strong-border); }
button.danger { background: var(--fd-surface); border-color: var(--fd-danger); color: var(--fd-danger); }
button.small, .button.small { min-height: 32px; padding: .25rem .625rem; font-size: .875rem; }
button.reveal { margin-top: .375rem; min-height: 32px; padding: .125rem .625rem; font-size: .875rem; font-weight: 500;
  background: var(--fd-surface); color: var(--fd-link); border-color: var(--fd-strong-border); }
.actions { display: flex; flex-direction: column; gap: .5rem; margin-top: 1rem; }
.actions.row { flex-direction: row; flex-wrap: wrap; }
.links { margin-top: 1.25rem; font-size: .9375rem; }
.social form { margin: 0 0 .5rem; }
.social button { width: 100%; }
.social .divider { text-align: center; color: var(--fd-muted); font-size: .875rem; margin: .75rem 0; }
form.inline { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: 0; }

/* Tables: scroll sideways on a phone rather than squeeze. */
.table-wrap { position: relative; overflow-x: auto; border: 1px solid var(--fd-border); border-radius: var(--fd-radius); background: var(--fd-surface); }
table { width: 100%; border-collapse: collapse; font-size: .9375rem; }
th, td { text-align: left; padding: .625rem .75rem; border-bottom: 1px solid var(--fd-border); vertical-align: top; }
th { font-size: .8125rem; font-weight: 600; color: var(--fd-muted); background: var(--fd-sunken); white-space: nowrap; }
tbody tr:last-child td { border-bottom: 0; }
td.nowrap { white-space: nowrap; }
.card table { font-size: .9375rem; }
@media (max-width: 600px) { .card table { display: block; overflow-x: auto; } }

/* Small things. */
.badge { display: inline-block; font-size: .75rem; font-weight: 600; padding: .0625rem .5rem; border-radius: 999px;
  background: var(--fd-sunken); color: var(--fd-text); border: 1px solid var(--fd-border); white-space: nowrap; }
.badge-muted { color: var(--fd-muted); }
.badge-danger { color: var(--fd-danger); border-color: var(--fd-danger); background: var(--fd-danger-bg); }
.badge-success { color: var(--fd-success); border-color: var(--fd-success); background: var(--fd-success-bg); }
.badge-warning { color: var(--fd-warning); border-color: var(--fd-warning); background: var(--fd-warning-bg); }
.muted { color: var(--fd-muted); }
.qr { margin: 0 0 1rem; } .qr svg { width: 200px; height: 200px; background: #fff; padding: 8px; border-radius: 8px; }
.codes { display: grid; grid-template-columns: repeat(2, 1fr); gap: .25rem 1rem; padding-left: 1.25rem; }
.avatar-row { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-end; margin-bottom: 1rem; }
.avatar { width: 64px; height: 64px; border-radius: 50%; object-fit: cover; background: var(--fd-sunken); display: block; }
.avatar-row form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: flex-end; }
.avatar-row .field { margin: 0; }
.emails { list-style: none; padding: 0; margin: 0 0 1rem; }
.emails li { padding: .625rem 0; border-bottom: 1px solid var(--fd-border); }
.emails .actions { flex-direction: row; flex-wrap: wrap; margin-top: .375rem; }
.emails .actions button { min-height: 32px; padding: .25rem .625rem; font-size: .875rem; }

/* The dashboard's frame. */
.app { display: grid; grid-template-columns: 15rem 1fr; min-height: 100vh; }
.side { background: var(--fd-surface); border-right: 1px solid var(--fd-border); padding: 1.25rem 1rem; }
.side .brand { margin-bottom: 1rem; font-size: .9375rem; color: var(--fd-text); }
.side ul { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: .125rem; }
.side a { display: block; padding: .5rem .75rem; border-radius: var(--fd-radius-sm); color: var(--fd-text); text-decoration: none; font-weight: 500; }
.side a:hover { background: var(--fd-sunken); }
.side a[aria-current=page] { background: var(--fd-sunken); color: var(--fd-link); font-weight: 600; box-shadow: inset 3px 0 0 var(--fd-primary); }
.side .who { margin-top: 1.5rem; font-size: .8125rem; color: var(--fd-muted); overflow-wrap: anywhere; }
.side .who a { display: inline; padding: 0; color: var(--fd-link); text-decoration: underline; font-weight: 500; }
.content { padding: 1.5rem 2rem 3rem; min-width: 0; max-width: 80rem; }
.page-head { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-end; justify-content: space-between; margin-bottom: 1.25rem; }
.page-head p { margin: .25rem 0 0; color: var(--fd-muted); }
@media (max-width: 760px) {
  .app { grid-template-columns: 1fr; }
  .side { border-right: 0; border-bottom: 1px solid var(--fd-border); padding: .75rem 1rem; }
  .side ul { flex-direction: row; flex-wrap: wrap; gap: .25rem; }
  .side .who { margin-top: .5rem; }
  .content { padding: 1rem; }
}
.panel { background: var(--fd-surface); border: 1px solid var(--fd-border); border-radius: var(--fd-radius); padding: 1.25rem; margin-bottom: 1.25rem; }
.panel > h2:first-child { margin-top: 0; }
.grid { display: grid; gap: 1.25rem; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); }
.toolbar { display: flex; flex-wrap: wrap; gap: .75rem; align-items: flex-end; margin-bottom: 1rem; }
.toolbar .field { margin: 0; flex: 1 1 12rem; }
.toolbar .field.narrow { flex: 0 1 10rem; }
.stats { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); margin-bottom: 1.25rem; }
.stat { background: var(--fd-surface); border: 1px solid var(--fd-border); border-radius: var(--fd-radius); padding: 1rem 1.25rem; }
.stat dt { color: var(--fd-muted); font-size: .8125rem; font-weight: 600; }
.stat dd { margin: .25rem 0 0; font-size: 1.75rem; font-weight: 700; letter-spacing: -.02em; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .375rem 1.25rem; margin: 0; }
dl.facts dt { color: var(--fd-muted); font-size: .875rem; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.chart svg { width: 100%; height: auto; display: block; }
.chart .bar { fill: var(--fd-primary); }
.chart .axis { stroke: var(--fd-border); }
.chart text { fill: var(--fd-muted); font-size: 11px; }
.pager { display: flex; gap: .5rem; justify-content: flex-end; margin-top: 1rem; }
.danger-zone { border-color: var(--fd-danger); }
.role-form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: 0; }
.role-form select { width: auto; min-width: 9rem; }
fieldset.provider { border: 1px solid var(--fd-border); border-radius: var(--fd-radius-sm); padding: .75rem 1rem 0; margin: 0 0 1rem; min-width: 0; }
fieldset.provider legend { font-weight: 700; padding: 0 .25rem; }
details > summary { cursor: pointer; font-weight: 600; margin: .5rem 0; }
.preview { border: 1px solid var(--fd-border); border-radius: var(--fd-radius); padding: 1.25rem; background: var(--fd-bg);
  display: flex; flex-direction: column; gap: .625rem; max-width: 22rem; }
.preview-title { margin: 0; font-size: 1.25rem; font-weight: 700; }
.preview-input { border: 1px solid var(--fd-strong-border); border-radius: var(--fd-radius-sm); padding: .5rem .75rem;
  background: var(--fd-surface); color: var(--fd-muted); }
.preview-link { color: var(--fd-link); text-decoration: underline; font-size: .875rem; }
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn colour(s: &str) -> Rgb {
        HexColor::try_from(s.to_owned())
            .map(|c| c.rgb())
            .unwrap_or([0, 0, 0])
    }

    #[test]
    fn brand_colours_of_every_kind_give_readable_text_and_links() {
        for brand in [
            "#4f46e5", "#6c47ff", "#ffff00", "#00ff00", "#777777", "#000000", "#ffffff", "#f0a",
            "#1a7f37", "#ff5f1f",
        ] {
            let p = colour(brand);
            assert!(contrast(p, on(p)) >= 4.5, "{brand}: button text");
            let light = readable(p, LIGHT_SURFACE, NEAR_BLACK);
            assert!(
                contrast(light, LIGHT_SURFACE) >= 4.5,
                "{brand}: light links"
            );
            let dark = readable(p, DARK_SURFACE, WHITE);
            assert!(contrast(dark, DARK_SURFACE) >= 4.5, "{brand}: dark links");
        }
    }

    /// The dashboard's preview computes links in script by the same steps
    /// (`guard::PAGE_SCRIPT`); the operator's day checks this colour there.
    #[test]
    fn gold_links_darken_to_the_colour_the_preview_shows() {
        assert_eq!(
            readable(colour("#ffd700"), LIGHT_SURFACE, NEAR_BLACK),
            [136, 118, 12]
        );
    }

    #[test]
    fn short_colours_expand() {
        assert_eq!(colour("#f0a"), [0xff, 0x00, 0xaa]);
        assert_eq!(hex(colour("#4F46E5")), "#4f46e5");
    }
}
