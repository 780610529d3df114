import { firestoreAccountStore } from "../stores/accountStore";
import { firestore } from "./firestore";

export const accountDeps = () => ({ store: firestoreAccountStore(firestore()), now: () => new Date() });
