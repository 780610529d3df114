import { firestoreWorld } from "../support/storeContract/firestoreWorld";
import { storeContract } from "../support/storeContract";

storeContract("Firestore", firestoreWorld(), 20_000);
