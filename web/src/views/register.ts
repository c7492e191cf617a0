import { h, link, pageHeading } from "../dom";
import { createForm } from "../forms";
import { href } from "../routes";
import type { View } from "./context";
import { providerButtons } from "./providers";

export const registerView: View = ({ api, navigate, signal }) => {
  const form = createForm({
    fields: [
      { name: "firstName", label: "First name", autocomplete: "given-name", required: true, maxLength: 100, className: "field-half" },
      { name: "lastName", label: "Last name", autocomplete: "family-name", required: true, maxLength: 100, className: "field-half" },
      { name: "email", label: "Email address", type: "email", autocomplete: "email", required: true, requiredMessage: "Enter your email address." },
      {
        name: "password",
        label: "Password",
        type: "password",
        autocomplete: "new-password",
        required: true,
        minLength: 8,
        maxLength: 256,
        hint: "At least 8 characters. A long phrase is easier to remember and harder to guess.",
        requiredMessage: "Choose a password.",
      },
      { name: "organization", label: "Organization", autocomplete: "organization", optional: true, maxLength: 200 },
      {
        name: "acceptTerms",
        label: "I accept the terms of service and the privacy policy",
        type: "checkbox",
        required: true,
        requiredMessage: "Accept the terms to create an account.",
      },
      { name: "marketingOptIn", label: "Send me occasional product news", type: "checkbox", optional: true },
    ],
    submitLabel: "Create account",
    busyLabel: "Creating your account…",
    async onSubmit(form) {
      const organization = form.value("organization");
      await api.register({
        email: form.value("email"),
        password: form.value("password"),
        firstName: form.value("firstName"),
        lastName: form.value("lastName"),
        organization: organization || undefined,
        acceptTerms: form.checked("acceptTerms"),
        marketingOptIn: form.checked("marketingOptIn"),
      });
      navigate(href("checkEmail"));
    },
  });

  return h(
    "div",
    null,
    pageHeading("Create your account"),
    h("p", { class: "lede" }, "It takes a minute. We'll email you a link to confirm your address."),
    form.element,
    providerButtons(api, signal),
    h("div", { class: "card-links" }, h("p", null, "Already have an account? ", link(href("login"), "Log in"))),
  );
};
