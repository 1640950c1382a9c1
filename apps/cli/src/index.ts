// Public surface of the CLI app.
export { main } from "./main.js";
