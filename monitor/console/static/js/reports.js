// The reports page's place in the console; it shows who is signed in until reports arrive.
import { unlessSignIn, whoami } from "./common.js";

whoami().catch(unlessSignIn);
