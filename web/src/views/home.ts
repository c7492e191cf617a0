import type { Profile, Project } from "../api/endpoints";
import { h, pageHeading } from "../dom";
import { createForm } from "../forms";
import { timeAgo, formatDateTime } from "../format";
import { displayName } from "../state";
import type { View } from "./context";
import { failure } from "./failure";

/** The app: the profile the Resource Server sees, and the caller's projects. */
export const homeView: View = ({ api, store, signal }) => {
  const user = store.getState().user;
  const profileBody = h("div", { class: "panel-body" });
  const listRegion = h("div", { class: "projects" });
  const status = h("p", { class: "visually-hidden", role: "status" });
  const projectsHeading = h("h2", { id: "projects-heading", tabindex: -1 }, "Projects");
  let projects: Project[] = [];

  const loading = (region: HTMLElement, text: string) => {
    region.setAttribute("aria-busy", "true");
    region.replaceChildren(h("p", { class: "loading" }, text));
  };

  const loadProfile = () => {
    loading(profileBody, "Loading your profile…");
    return api.profile().then(
      (profile) => !signal.aborted && profileBody.replaceChildren(renderProfile(profile)),
      (error) => !signal.aborted && profileBody.replaceChildren(failure(error, loadProfile)),
    ).finally(() => profileBody.setAttribute("aria-busy", "false"));
  };

  const renderList = () => {
    listRegion.setAttribute("aria-busy", "false");
    if (projects.length === 0) {
      listRegion.replaceChildren(h("p", { class: "empty" }, "No projects yet. Create your first one above."));
      return;
    }
    listRegion.replaceChildren(
      h("ul", { class: "project-list", "aria-labelledby": "projects-heading" }, projects.map((project) => projectItem(project))),
    );
  };

  const loadProjects = () => {
    loading(listRegion, "Loading projects…");
    return api.projects().then(
      (list) => {
        if (signal.aborted) return;
        projects = [...list].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
        renderList();
      },
      (error) => {
        if (signal.aborted) return;
        listRegion.setAttribute("aria-busy", "false");
        listRegion.replaceChildren(failure(error, loadProjects));
      },
    );
  };

  const projectItem = (project: Project): HTMLLIElement => {
    const item = h("li", { class: "project" });
    const showDetails = (focus?: "rename" | "delete") => {
      const rename = h("button", { type: "button", class: "button button-secondary button-small", onclick: () => showRename() }, "Rename");
      const remove = h("button", { type: "button", class: "button button-danger-quiet button-small", onclick: () => showDelete() }, "Delete");
      item.replaceChildren(
        h(
          "div",
          { class: "project-text" },
          h("h3", { class: "project-name" }, project.name),
          project.description ? h("p", { class: "project-description" }, project.description) : null,
          h("p", { class: "project-meta" }, "Updated ", h("time", { datetime: project.updatedAt, title: formatDateTime(project.updatedAt) }, timeAgo(project.updatedAt))),
        ),
        h("div", { class: "project-actions", role: "group", "aria-label": `Actions for ${project.name}` }, rename, remove),
      );
      if (focus === "rename") rename.focus();
      if (focus === "delete") remove.focus();
    };

    const showRename = () => {
      const cancel = h("button", { type: "button", class: "button button-quiet", onclick: () => showDetails("rename") }, "Cancel");
      const form = createForm({
        fields: [{ name: "name", label: `New name for ${project.name}`, value: project.name, required: true, maxLength: 200, requiredMessage: "Enter a name." }],
        submitLabel: "Save",
        busyLabel: "Saving…",
        secondary: cancel,
        className: "form-inline",
        async onSubmit(form) {
          const updated = await api.renameProject(project.id, form.value("name"));
          projects = projects.map((candidate) => (candidate.id === project.id ? updated : candidate));
          project = updated;
          // A create or delete may have rebuilt the list while this rename was in flight.
          if (item.isConnected) showDetails("rename");
          else renderList();
          status.textContent = `Renamed to ${updated.name}.`;
        },
      });
      form.element.addEventListener("keydown", (event) => {
        if (event.key === "Escape") showDetails("rename");
      });
      item.replaceChildren(form.element);
      const input = form.input("name") as HTMLInputElement;
      input.focus();
      input.select();
    };

    const showDelete = () => {
      const alert = h("div", null);
      const cancel = h("button", { type: "button", class: "button button-secondary button-small", onclick: () => showDetails("delete") }, "Cancel");
      const confirm = h("button", { type: "button", class: "button button-danger button-small" }, "Delete project");
      confirm.addEventListener("click", async () => {
        confirm.disabled = true;
        confirm.setAttribute("aria-busy", "true");
        confirm.textContent = "Deleting…";
        try {
          await api.deleteProject(project.id);
          projects = projects.filter((candidate) => candidate.id !== project.id);
          renderList();
          status.textContent = `Deleted ${project.name}.`;
          projectsHeading.focus();
        } catch (error) {
          alert.replaceChildren(failure(error));
          confirm.disabled = false;
          confirm.setAttribute("aria-busy", "false");
          confirm.textContent = "Delete project";
        }
      });
      item.replaceChildren(
        h(
          "div",
          { class: "confirm", role: "group", "aria-label": "Confirm deletion" },
          h("p", null, "Delete ", h("strong", null, project.name), "? This can't be undone."),
          alert,
          h("div", { class: "project-actions" }, confirm, cancel),
        ),
      );
      cancel.focus();
    };

    showDetails();
    return item;
  };

  const create = createForm({
    fields: [
      { name: "name", label: "Project name", required: true, maxLength: 200, requiredMessage: "Enter a name for the project." },
      { name: "description", label: "Description", type: "textarea", optional: true, maxLength: 2000 },
    ],
    submitLabel: "Create project",
    busyLabel: "Creating…",
    async onSubmit(form) {
      const project = await api.createProject(form.value("name"), form.value("description"));
      projects = [project, ...projects];
      renderList();
      form.reset();
      status.textContent = `Created ${project.name}.`;
      form.alert("success", `Created “${project.name}”.`);
    },
  });

  loadProfile();
  loadProjects();

  return h(
    "div",
    { class: "page" },
    pageHeading(user ? `Hello, ${user.firstName || displayName(user)}` : "Your projects"),
    h("p", { class: "lede" }, "Your projects, kept by the example Resource Server."),
    h(
      "div",
      { class: "grid" },
      h(
        "section",
        { class: "panel", "aria-labelledby": "projects-heading" },
        projectsHeading,
        h("div", { class: "create" }, h("h3", { class: "create-title" }, "New project"), create.element),
        listRegion,
        status,
      ),
      h("section", { class: "panel panel-aside", "aria-labelledby": "profile-heading" }, h("h2", { id: "profile-heading" }, "Profile"), profileBody),
    ),
  );
};

function renderProfile(profile: Profile): HTMLElement {
  return h(
    "dl",
    { class: "facts" },
    h("div", null, h("dt", null, "Name"), h("dd", null, displayName(profile))),
    h("div", null, h("dt", null, "Email"), h("dd", null, profile.email)),
    h("div", null, h("dt", null, "Roles"), h("dd", null, profile.roles?.length ? profile.roles.join(", ") : "none")),
  );
}
