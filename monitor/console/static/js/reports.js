// The reports page's place in the console; it shows who is signed in until reports arrive.
import { whoami } from "./common.js";

whoami();
