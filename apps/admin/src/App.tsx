import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createBrowserRouter, NavLink, Outlet, RouterProvider } from "react-router";
import { ApiError } from "./api/client.js";
import { AuthProvider, useAuth } from "./auth.js";
import { AuditLog } from "./pages/AuditLog.js";
import { BookingDetail, Bookings } from "./pages/Bookings.js";
import { JobDetail, Jobs } from "./pages/Jobs.js";
import { Disputes, Settings, Transactions } from "./pages/Money.js";
import { Overview } from "./pages/Overview.js";
import { Reviews } from "./pages/Reviews.js";
import { NotAdmin, SignIn } from "./pages/SignIn.js";
import { UserDetail } from "./pages/UserDetail.js";
import { Users } from "./pages/Users.js";
import { Verifications } from "./pages/Verifications.js";

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A refusal (4xx) will not change on a retry; a lost connection may.
      retry: (count, error) => !(error instanceof ApiError && error.problem.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

const sections = [
  ["/", "Overview"],
  ["/users", "Users"],
  ["/verifications", "Verifications"],
  ["/jobs", "Jobs"],
  ["/bookings", "Bookings"],
  ["/disputes", "Disputes"],
  ["/transactions", "Transactions"],
  ["/reviews", "Reviews"],
  ["/settings", "Settings"],
  ["/audit-log", "Audit log"],
] as const;

function Layout() {
  const { state, signOut } = useAuth();
  if (state.status === "loading") return <p className="muted centre">Loading…</p>;
  if (state.status === "signedOut") return <SignIn message={state.message} />;
  if (state.status === "notAdmin") return <NotAdmin name={state.user.name} />;
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Sections">
        <div className="brand">JobSphere admin</div>
        {sections.map(([path, label]) => (
          <NavLink key={path} to={path} end={path === "/"}>
            {label}
          </NavLink>
        ))}
        <div className="who">
          {state.user.name}
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </nav>
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}

const router = createBrowserRouter(
  [
    {
      element: <Layout />,
      children: [
        { index: true, element: <Overview /> },
        { path: "users", element: <Users /> },
        { path: "users/:id", element: <UserDetail /> },
        { path: "verifications", element: <Verifications /> },
        { path: "jobs", element: <Jobs /> },
        { path: "jobs/:id", element: <JobDetail /> },
        { path: "bookings", element: <Bookings /> },
        { path: "bookings/:id", element: <BookingDetail /> },
        { path: "disputes", element: <Disputes /> },
        { path: "transactions", element: <Transactions /> },
        { path: "reviews", element: <Reviews /> },
        { path: "settings", element: <Settings /> },
        { path: "audit-log", element: <AuditLog /> },
        { path: "*", element: <p>No such page.</p> },
      ],
    },
  ],
  { basename: "/admin" },
);

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <AuthProvider>
        <RouterProvider router={router} />
      </AuthProvider>
    </QueryClientProvider>
  );
}
