/** Turns a User-Agent header into "Firefox 128 on Windows" for the sessions list. */
const browsers: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\/(\d+)/, "Edge"],
  [/\bOPR\/(\d+)/, "Opera"],
  [/\bSamsungBrowser\/(\d+)/, "Samsung Internet"],
  [/\bVivaldi\/(\d+)/, "Vivaldi"],
  [/\b(?:Firefox|FxiOS)\/(\d+)/, "Firefox"],
  [/\bCriOS\/(\d+)/, "Chrome"],
  [/\bChromium\/(\d+)/, "Chromium"],
  [/\bHeadlessChrome\/(\d+)/, "Headless Chrome"],
  [/\bChrome\/(\d+)/, "Chrome"],
  [/\bVersion\/(\d+)(?:\.\d+)*(?: Mobile\/\w+)? Safari\//, "Safari"],
  [/\bcurl\/(\d+)/, "curl"],
  [/\bpython-requests\/(\d+)/, "Python Requests"],
  [/\bpython-httpx\/(\d+)/, "Python HTTPX"],
  [/\bPostmanRuntime\/(\d+)/, "Postman"],
  [/\bokhttp\/(\d+)/, "OkHttp"],
];

const systems: [RegExp, string][] = [
  [/\biPhone\b/, "iPhone"],
  [/\biPad\b/, "iPad"],
  [/\bAndroid\b/, "Android"],
  [/\bCrOS\b/, "ChromeOS"],
  [/\bWindows\b/, "Windows"],
  [/\bMac OS X\b|\bMacintosh\b/, "macOS"],
  [/\bLinux\b/, "Linux"],
];

export function describeUserAgent(userAgent: string | null | undefined): string {
  const ua = (userAgent ?? "").trim();
  if (!ua) return "Unknown device";
  let browser: string | undefined;
  for (const [pattern, name] of browsers) {
    const match = pattern.exec(ua);
    if (match) {
      browser = `${name} ${match[1]}`;
      break;
    }
  }
  const system = systems.find(([pattern]) => pattern.test(ua))?.[1];
  if (!browser) {
    const product = /^([A-Za-z][\w.-]{0,40})\//.exec(ua)?.[1];
    browser = product && product !== "Mozilla" ? product : system ? "Browser" : "Unknown device";
  }
  return system ? `${browser} on ${system}` : browser;
}
