/**
 * The payment page's stylesheet: small, hand-written, mobile first, inlined (one request, allowed
 * by its hash in the CSP). System fonts only: nothing is fetched from anywhere.
 */
export const CHECKOUT_CSS = `
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#f3f4f1;color:#1d2521;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif}
main{max-width:30rem;margin:0 auto;padding:1rem}
.card{background:#fff;border-radius:.75rem;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:1.25rem;margin-bottom:1rem}
header.top{display:flex;justify-content:space-between;align-items:center;gap:.5rem;margin-bottom:.75rem;font-size:.9rem}
header.top a{color:#0b6b4f}
h1 a{color:inherit}
h1{font-size:1.2rem;margin:0 0 .25rem}
h2{font-size:1.05rem;margin:0 0 .75rem}
p{margin:.5rem 0}
.muted{color:#5b645f;font-size:.9rem}
.amount{font-size:2rem;font-weight:700;margin:.5rem 0;letter-spacing:-.01em}
table{width:100%;border-collapse:collapse;font-size:.9rem;margin:.5rem 0}
th,td{text-align:left;padding:.35rem 0;border-bottom:1px solid #e6e8e4;vertical-align:top}
td.num,th.num{text-align:right;white-space:nowrap}
ul.ops{list-style:none;margin:0;padding:0;display:grid;gap:.5rem}
ul.ops a{display:flex;justify-content:space-between;align-items:center;padding:.85rem 1rem;border:1px solid #cfd5cf;border-radius:.6rem;color:inherit;text-decoration:none;background:#fafbf9}
ul.ops a:focus,ul.ops a:hover{border-color:#0b6b4f;outline:none;background:#eef6f2}
.country{font-size:.8rem;color:#5b645f}
label{display:block;font-weight:600;margin:.9rem 0 .3rem}
input[type=tel],input[type=text]{width:100%;font:inherit;font-size:1.1rem;padding:.7rem .8rem;border:1px solid #b9c1ba;border-radius:.5rem;background:#fff}
input:focus{outline:2px solid #0b6b4f;outline-offset:1px}
button,.button{display:block;width:100%;margin-top:1rem;padding:.85rem 1rem;font:inherit;font-weight:700;text-align:center;border:0;border-radius:.6rem;background:#0b6b4f;color:#fff;text-decoration:none;cursor:pointer}
button.secondary,.button.secondary{background:#e6e8e4;color:#1d2521}
button.danger{background:#b3261e}
form.inline{margin:0}
.row{display:flex;gap:.5rem}
.row>form{flex:1}
.error{background:#fdecea;color:#8c1d18;border-radius:.5rem;padding:.6rem .8rem;margin:.5rem 0}
.notice{background:#eef6f2;border-radius:.5rem;padding:.6rem .8rem;margin:.5rem 0}
.sandbox{border:2px dashed #b58a00;background:#fffaf0}
.status{font-size:2.5rem;line-height:1;margin:.25rem 0}
.ok{color:#0b6b4f}.ko{color:#b3261e}.wait{color:#b58a00}
.spinner{display:inline-block;width:2.25rem;height:2.25rem;border:.3rem solid #e6e8e4;border-top-color:#b58a00;border-radius:50%;animation:spin 1s linear infinite}
@keyframes spin{to{transform:rotate(360deg)}}
@media (prefers-reduced-motion:reduce){.spinner{animation:none}}
footer{text-align:center;color:#5b645f;font-size:.8rem;margin:1rem 0}
code{font-size:1rem;background:#f0f1ee;padding:.1rem .3rem;border-radius:.25rem}
`;
