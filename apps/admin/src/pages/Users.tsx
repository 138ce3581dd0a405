import { useState } from "react";
import { Link } from "react-router";
import { api, ok } from "../api/client.js";
import { Badge, Choice, ListTable, Loaded, Pager, Search, useCursorList, when } from "../ui.js";

const roles = ["customer", "contractor", "admin"] as const;
const statuses = ["active", "suspended", "deleted"] as const;

export function Users() {
  const [role, setRole] = useState("");
  const [status, setStatus] = useState("");
  const [q, setQ] = useState("");
  const list = useCursorList(["users", role, status, q], (cursor) =>
    ok(
      api.GET("/api/v1/admin/users", {
        params: {
          query: {
            limit: 20,
            ...(cursor ? { cursor } : {}),
            ...(role ? { role: role as (typeof roles)[number] } : {}),
            ...(status ? { status: status as (typeof statuses)[number] } : {}),
            ...(q ? { q } : {}),
          },
        },
      }),
    ),
  );
  return (
    <section>
      <h1>Users</h1>
      <div className="filters">
        <Search label="Name or email" onChange={setQ} />
        <Choice label="Role" value={role} options={roles} onChange={setRole} />
        <Choice label="Status" value={status} options={statuses} onChange={setStatus} />
      </div>
      <Loaded query={list.query} what="The user list">
        {(page) => (
          <ListTable
            columns={["Name", "Email", "Role", "Status", "Joined"]}
            items={page.items}
            empty="No users match."
            row={(user) => (
              <tr key={user.id}>
                <td>
                  <Link to={`/users/${user.id}`}>{user.name}</Link>
                </td>
                <td>{user.email}</td>
                <td>{user.role}</td>
                <td>
                  <Badge value={user.status} />
                </td>
                <td>{when(user.createdAt)}</td>
              </tr>
            )}
          />
        )}
      </Loaded>
      <Pager list={list} />
    </section>
  );
}
