import { firestoreAccountStore } from "../stores/accountAdminStore";
import { firestore } from "./firestore";

export const accountDeps = () => ({ store: firestoreAccountStore(firestore()), now: () => new Date() });
