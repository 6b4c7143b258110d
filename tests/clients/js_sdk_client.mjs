// matrix-js-sdk, unmodified, against a running server-stub: registers a user (UIA dummy
// stage), then logs in with `loginWithPassword` and uses the token it got.
// Usage: node js_sdk_client.mjs HOMESERVER_URL   (run where `npm install matrix-js-sdk` was)
import { createRequire } from "node:module";
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";

const require = createRequire(pathToFileURL(process.cwd() + "/"));
const sdk = await import(pathToFileURL(require.resolve("matrix-js-sdk")).href);

const baseUrl = process.argv[2];
const username = "js_" + randomBytes(4).toString("hex");
const password = randomBytes(12).toString("hex");

const client = sdk.createClient({ baseUrl });
let registered;
try {
  registered = await client.register(username, password, null, { type: "m.login.dummy" });
} catch (error) {
  console.error("register failed:", error);
  process.exit(1);
}
const loggedIn = await client.loginWithPassword(username, password);
if (loggedIn.user_id !== registered.user_id || !loggedIn.access_token) {
  console.error("login answered", loggedIn, "after registering", registered);
  process.exit(1);
}
const authed = sdk.createClient({ baseUrl, accessToken: loggedIn.access_token, userId: loggedIn.user_id });
const threepids = await authed.getThreePids();
if (!Array.isArray(threepids.threepids)) {
  console.error("unexpected 3pid answer", threepids);
  process.exit(1);
}
console.log(`matrix-js-sdk: registered and logged in as ${loggedIn.user_id}`);
process.exit(0);
