import { type FormEvent, useState } from "react";
import { useAuth } from "../auth.js";
import { ErrorNote } from "../ui.js";

export function SignIn({ message }: { message?: string | undefined }) {
  const { signIn } = useAuth();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email, password);
    } catch (refused) {
      setError(refused);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <form onSubmit={submit} aria-label="Sign in">
        <h1>JobSphere admin</h1>
        {message && <p className="notice">{message}</p>}
        <label>
          Email
          <input
            type="email"
            autoComplete="username"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            required
          />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        <ErrorNote error={error} />
        <button type="submit" className="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

/** Someone signed in whose account is not an admin's: said plainly, with a way out. */
export function NotAdmin({ name }: { name: string }) {
  const { signOut } = useAuth();
  return (
    <main className="signin">
      <div className="panel" role="alert">
        <h1>An admin account is needed</h1>
        <p>
          You are signed in as {name}, which is not an admin account. This dashboard is for JobSphere
          administrators only: sign in with an admin account, or use the JobSphere app.
        </p>
        <button type="button" className="primary" onClick={() => void signOut()}>
          Sign in with another account
        </button>
      </div>
    </main>
  );
}
