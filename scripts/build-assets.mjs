// Copy the front-end libraries from node_modules into the Django static build folder.
// Nothing third-party is committed: this runs on every `make demo` / `make test`.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "src", "chainwatch", "web", "static_build", "vendor");
const assets = [
  ["node_modules/htmx.org/dist/htmx.min.js", "htmx.min.js"],
  ["node_modules/echarts/dist/echarts.min.js", "echarts.min.js"],
];
mkdirSync(out, { recursive: true });
for (const [from, to] of assets) {
  copyFileSync(join(root, from), join(out, to));
  console.log(`assets: ${from} -> static_build/vendor/${to}`);
}
