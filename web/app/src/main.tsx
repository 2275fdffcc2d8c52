/** The board app's entry: the session is resumed from the refresh cookie, then the page renders. */

import "./styles.css";
import { render } from "preact";
import { App } from "./ui/App.js";
import { resume } from "./session.js";

render(<App />, document.getElementById("app")!);
void resume();
