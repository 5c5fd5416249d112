/**
 * The console's stylesheet: hand-written, mobile first, system fonts, served inline and allowed by
 * its hash in the CSP (no `unsafe-inline`, nothing from a CDN). Colours keep WCAG AA contrast
 * (4.5:1 for text) against their backgrounds; focus is always visible.
 */
export const CONSOLE_BASE_CSS = `
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#f4f5f2;color:#1b231f;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif}
a{color:#0a5e45}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible{outline:3px solid #b35c00;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem;z-index:10}
.skip:focus{left:.5rem}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
header.bar{background:#113a2e;color:#fff;padding:.6rem 1rem}
header.bar .inner{max-width:80rem;margin:0 auto;display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem}
header.bar .brand{font-weight:700;font-size:1.1rem;color:#fff;text-decoration:none;margin-right:auto}
header.bar .mode{font-size:.75rem;font-weight:700;text-transform:uppercase;background:#ffd166;color:#1b231f;border-radius:.3rem;padding:.1rem .4rem;margin-left:.4rem}
header.bar .mode.production{background:#e8f1ee}
header.bar form{margin:0}
header.bar .who{font-size:.85rem}
header.bar button{background:transparent;border:1px solid #cfe3db;color:#fff;padding:.3rem .7rem;margin:0;width:auto;font-weight:600}
nav.main{background:#e3ebe6;border-bottom:1px solid #c9d4ce}
nav.main ul{max-width:80rem;margin:0 auto;padding:0 .5rem;list-style:none;display:flex;flex-wrap:wrap;gap:0}
nav.main a{display:block;padding:.65rem .75rem;color:#16362b;text-decoration:none;font-weight:600;border-bottom:3px solid transparent}
nav.main a[aria-current=page]{border-bottom-color:#0a5e45;color:#0a5e45}
nav.main a:hover{background:#d5e2da}
nav.main li.sandbox a{color:#6b4700}
main{max-width:80rem;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;margin:.25rem 0 1rem}
h2{font-size:1.1rem;margin:1.25rem 0 .6rem}
h3{font-size:1rem;margin:1rem 0 .4rem}
p{margin:.5rem 0}
.muted{color:#56605a}
.card{background:#fff;border:1px solid #d9dfdb;border-radius:.6rem;padding:1rem;margin-bottom:1rem}
.grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr))}
.kpi{font-size:1.6rem;font-weight:700;margin:.2rem 0}
.table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{width:100%;border-collapse:collapse;font-size:.9rem;background:#fff}
caption{text-align:left;font-weight:600;padding:.4rem 0}
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid #e3e7e4;vertical-align:top}
th{background:#f0f3f1;font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
tfoot td{font-weight:700}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem;overflow-wrap:anywhere}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f0f3f1;padding:.5rem;border-radius:.4rem;font-size:.8rem;margin:.25rem 0}
form.stack{display:grid;gap:.2rem;max-width:36rem}
form.filters{display:grid;gap:.5rem 1rem;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));align-items:end}
form.inline{display:inline;margin:0}
label{font-weight:600;display:block;margin:.5rem 0 .2rem}
fieldset{border:1px solid #d9dfdb;border-radius:.5rem;padding:.5rem 1rem;margin:.5rem 0}
legend{font-weight:600}
fieldset label{display:inline-flex;align-items:center;gap:.35rem;font-weight:400;margin:.25rem 1rem .25rem 0}
input[type=text],input[type=password],input[type=search],input[type=tel],input[type=number],input[type=url],input[type=date],select{width:100%;font:inherit;padding:.5rem .6rem;border:1px solid #8c9891;border-radius:.4rem;background:#fff;color:#1b231f;min-height:2.5rem}
button{font:inherit;font-weight:700;padding:.55rem 1rem;border:0;border-radius:.45rem;background:#0a5e45;color:#fff;cursor:pointer;min-height:2.5rem;margin-top:.5rem}
button.secondary{background:#e3e7e4;color:#1b231f;border:1px solid #8c9891}
button.danger{background:#a4231b}
button.small{padding:.3rem .6rem;min-height:2rem;margin:0;font-size:.85rem}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.notice{background:#e5f3ec;border:1px solid #9fcdb6;border-radius:.45rem;padding:.6rem .8rem;margin:.5rem 0 1rem}
.error{background:#fbe9e7;border:1px solid #e7a39c;color:#7d1a14;border-radius:.45rem;padding:.6rem .8rem;margin:.5rem 0 1rem}
.secret{background:#fff8e1;border:2px solid #b98900;border-radius:.5rem;padding:.75rem 1rem;margin:.5rem 0 1rem}
.secret code{display:block;font-size:.95rem;background:#fff;padding:.4rem;border-radius:.3rem;margin:.25rem 0 .5rem}
.badge{display:inline-block;font-size:.75rem;font-weight:700;border-radius:.3rem;padding:.05rem .45rem;background:#e3e7e4;color:#1b231f;white-space:nowrap}
.badge.completed,.badge.ok,.badge.delivered{background:#d3ecdf;color:#0b4a36}
.badge.pending,.badge.delivering,.badge.review,.badge.wait{background:#fff0c2;color:#5c4100}
.badge.notcompleted,.badge.nocompleted,.badge.failed,.badge.ko{background:#f8d7d3;color:#7d1a14}
dl.facts{display:grid;grid-template-columns:minmax(8rem,max-content) 1fr;gap:.3rem 1rem;margin:0}
dl.facts dt{font-weight:600;color:#3d4741}
dl.facts dd{margin:0;overflow-wrap:anywhere}
ol.timeline{list-style:none;padding:0;margin:0;border-left:3px solid #c9d4ce}
ol.timeline li{position:relative;padding:.3rem 0 .5rem 1rem}
ol.timeline li::before{content:"";position:absolute;left:-.45rem;top:.65rem;width:.6rem;height:.6rem;border-radius:50%;background:#0a5e45}
.pager{display:flex;gap:1rem;margin:.75rem 0}
.login{max-width:24rem;margin:3rem auto}
footer.foot{max-width:80rem;margin:1rem auto;padding:0 1rem;color:#56605a;font-size:.8rem}
@media (min-width:48rem){dl.facts{grid-template-columns:minmax(10rem,max-content) 1fr}}
`;
