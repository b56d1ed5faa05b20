// Runs once before the suite (placeholder until the local cloud lands: see dev/cloud).
export default function globalSetup(): void {}
