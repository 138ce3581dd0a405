import { createContext, type ReactNode, useCallback, useContext, useEffect, useRef, useState } from "react";
import { ApiError, api, ok, type Schemas, setAccessToken, whenSignedOut } from "./api/client.js";

type User = Schemas["User"];

export type AuthState =
  | { status: "loading" }
  | { status: "signedOut"; message?: string }
  | { status: "notAdmin"; user: User }
  | { status: "signedIn"; user: User };

interface Auth {
  state: AuthState;
  signIn(email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
}

const AuthContext = createContext<Auth | null>(null);

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside AuthProvider");
  return auth;
}

/**
 * Whether this browser signed in: a hint, not a secret (the cookie itself is httpOnly), so a page opened
 * without a session shows the sign-in form without asking the server and logging a 401.
 */
const hintKey = "jobsphere.admin.signedIn";
const hint = {
  get: () => localStorage.getItem(hintKey) === "1",
  set: (on: boolean) => (on ? localStorage.setItem(hintKey, "1") : localStorage.removeItem(hintKey)),
};

/** One refresh at a time: the cookie rotates, so two at once would race for it. */
let refreshing: Promise<{ accessToken: string; accessTokenExpiresAt: string } | null> | null = null;
function refreshToken() {
  refreshing ??= ok(api.POST("/api/v1/auth/browser/refresh"))
    .catch((error: unknown) => {
      if (error instanceof ApiError && error.problem.status === 401) return null;
      throw error;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<AuthState>({ status: "loading" });
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const signedOut = useCallback((message?: string) => {
    clearTimeout(timer.current);
    setAccessToken(null);
    hint.set(false);
    setState(message ? { status: "signedOut", message } : { status: "signedOut" });
  }, []);

  /** Keeps the in-memory access token fresh: a new one a minute before it expires. */
  const hold = useCallback(
    (token: { accessToken: string; accessTokenExpiresAt: string }) => {
      setAccessToken(token.accessToken);
      clearTimeout(timer.current);
      const due = Math.max(5_000, Date.parse(token.accessTokenExpiresAt) - Date.now() - 60_000);
      timer.current = setTimeout(() => {
        void refreshToken().then(
          (next) => (next ? hold(next) : signedOut("Your session has ended: sign in again.")),
          () => signedOut("Your session could not be renewed: sign in again."),
        );
      }, due);
    },
    [signedOut],
  );

  const admit = useCallback((user: User) => {
    setState(user.role === "admin" ? { status: "signedIn", user } : { status: "notAdmin", user });
  }, []);

  useEffect(() => {
    whenSignedOut(() => signedOut("Your session has ended: sign in again."));
    let live = true;
    if (!hint.get()) {
      signedOut();
      return;
    }
    void refreshToken()
      .then(async (token) => {
        if (!live) return;
        if (!token) return signedOut();
        hold(token);
        admit(await ok(api.GET("/api/v1/me")));
      })
      .catch(() => live && signedOut("The server could not be reached."));
    return () => {
      live = false;
    };
  }, [admit, hold, signedOut]);

  const signIn = useCallback(
    async (email: string, password: string) => {
      const session = await ok(api.POST("/api/v1/auth/browser/login", { body: { email, password } }));
      hint.set(true);
      hold(session);
      admit(session.user);
    },
    [admit, hold],
  );

  const signOut = useCallback(async () => {
    await api.POST("/api/v1/auth/browser/logout").catch(() => undefined);
    signedOut();
  }, [signedOut]);

  return <AuthContext.Provider value={{ state, signIn, signOut }}>{children}</AuthContext.Provider>;
}
