// A live board from Node 20: TOKEN=… BOARD=… node --experimental-websocket web/client/examples/live.mjs
import { createClient } from "@corkboard/client";

const client = createClient({ url: process.env.CORKBOARD_URL ?? "http://localhost:8080", auth: process.env.TOKEN });
client.on("status", (s) => console.log(`connection: ${s.state}${s.state === "closed" ? ` (${s.reason.message})` : ""}`));
const board = client.board(process.env.BOARD);
board.on("change", () => console.log(`${board.state.name}: ${Object.keys(board.state.items).length} cards, seq ${board.seq}`));
board.on("status", (status) => status === "failed" && console.error(`board: ${board.error.message}`));
const { seq } = await board.send({ type: "create_item", title: "Hello from @corkboard/client" });
console.log(`committed as event ${seq}`);
client.close();
