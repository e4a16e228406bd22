// The suite's accessibility check, run inside the page. It returns a list
// of problems (empty when the page passes): form controls without an
// accessible name, images without alt text, skipped heading levels, and
// text whose contrast with its background is below WCAG AA.
(() => {
  const problems = [];
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    if (el.className && typeof el.className === "string") {
      s += "." + el.className.trim().split(/\s+/).join(".");
    }
    const text = (el.textContent || "").trim().slice(0, 40);
    return text ? s + ' "' + text + '"' : s;
  };

  // Every form control has an accessible name.
  const labelled = (el) => {
    if ((el.getAttribute("aria-label") || "").trim()) return true;
    const by = el.getAttribute("aria-labelledby");
    if (by && by.split(/\s+/).some((id) => {
      const l = document.getElementById(id);
      return l && l.textContent.trim();
    })) return true;
    if (el.id) {
      const l = document.querySelector('label[for="' + CSS.escape(el.id) + '"]');
      if (l && l.textContent.trim()) return true;
    }
    const wrap = el.closest("label");
    if (wrap && wrap.textContent.trim()) return true;
    if (el.tagName === "BUTTON") return el.textContent.trim() !== "";
    if (el.type === "submit" || el.type === "button") return (el.value || "").trim() !== "";
    return false;
  };
  document.querySelectorAll("input, select, textarea, button").forEach((el) => {
    if (el.type === "hidden") return;
    if (!labelled(el)) problems.push("no accessible name: " + describe(el));
  });

  // Every image has alt text; generated pictures carry their prompt.
  document.querySelectorAll("img").forEach((el) => {
    if (!el.hasAttribute("alt")) {
      problems.push("img without alt: " + el.getAttribute("src"));
    } else if ((el.getAttribute("src") || "").startsWith("/files/") &&
               !el.getAttribute("alt").trim()) {
      problems.push("generated image with empty alt: " + el.getAttribute("src"));
    }
  });

  // Headings start at h1 and never skip a level going down.
  const heads = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")];
  if (!heads.length || heads[0].tagName !== "H1") {
    problems.push("the first heading is not an h1");
  }
  let last = 0;
  heads.forEach((h) => {
    const level = Number(h.tagName[1]);
    if (level > last + 1) {
      problems.push("heading skips from h" + last + " to " + describe(h));
    }
    last = level;
  });

  // Text contrast meets WCAG AA in the current theme.
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const lum = (c) => {
    const f = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  // background walks up the tree, layering translucent backgrounds over
  // what lies beneath; null when an image is underneath (unknowable).
  const background = (el) => {
    const layers = [];
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      const s = getComputedStyle(n);
      if (s.backgroundImage && s.backgroundImage !== "none") return null;
      const c = parse(s.backgroundColor);
      if (c && c.a > 0) {
        layers.push(c);
        if (c.a >= 1) break;
      }
    }
    let bg = { r: 255, g: 255, b: 255, a: 1 };
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) return false;
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      const s = getComputedStyle(n);
      if (s.visibility === "hidden" || s.display === "none" || Number(s.opacity) === 0) {
        return false;
      }
      if (s.clip && s.clip !== "auto" && s.position === "absolute") return false;
    }
    return true;
  };
  const ownText = (el) => [...el.childNodes].some(
    (n) => n.nodeType === 3 && n.textContent.trim());
  const controls = "input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea";
  const seen = new Set();
  document.querySelectorAll("body *").forEach((el) => {
    const isControl = el.matches(controls);
    if (!isControl && !ownText(el)) return;
    if (el.closest("option, script, style, title, [disabled], [aria-hidden=true]")) return;
    if (!visible(el)) return;
    const s = getComputedStyle(el);
    const svgText = el instanceof SVGElement;
    const fg = parse(svgText ? s.fill : s.color);
    const bg = background(el);
    if (!fg || !bg) return;
    const c = ratio(over(fg, bg), bg);
    const size = parseFloat(s.fontSize);
    const bold = Number(s.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const need = large ? 3 : 4.5;
    if (c + 1e-6 < need) {
      const key = describe(el) + c.toFixed(2);
      if (seen.has(key)) return;
      seen.add(key);
      problems.push("contrast " + c.toFixed(2) + " < " + need + ": " + describe(el) +
        " (" + s.color + " on " + JSON.stringify(bg) + ")");
    }
  });
  return problems;
})()
