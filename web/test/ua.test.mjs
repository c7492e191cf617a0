import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeUserAgent } from "../.test-build/ua.js";

describe("user agents in words", () => {
  const cases = {
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36": "Chrome 126 on macOS",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0": "Firefox 128 on Windows",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "Safari 17 on iPhone",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15": "Safari 17 on macOS",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 Edg/125.0.2535.67": "Edge 125 on Windows",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36": "Chrome 126 on Android",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1": "Chrome 126 on iPhone",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36": "Headless Chrome 120 on Linux",
    "curl/8.5.0": "curl 8",
    "python-requests/2.31.0": "Python Requests 2",
    "MyTool/1.0": "MyTool",
    "": "Unknown device",
  };
  for (const [ua, expected] of Object.entries(cases)) {
    it(`${expected}`, () => assert.equal(describeUserAgent(ua), expected));
  }
  it("handles a missing header", () => {
    assert.equal(describeUserAgent(null), "Unknown device");
    assert.equal(describeUserAgent(undefined), "Unknown device");
  });
});
