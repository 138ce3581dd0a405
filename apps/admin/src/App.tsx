export function App() {
  return (
    <main>
      <h1>JobSphere admin</h1>
      <p>
        The dashboard talks to the API at <code>/api/v1</code>; its reference is at <a href="/docs">/docs</a>.
      </p>
    </main>
  );
}
