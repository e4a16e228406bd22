package views

// Errors maps a form field's name to the message shown next to it; the
// empty name holds a message for the whole form.
type Errors map[string]string

// PromptForm is the studio form's values as typed, with its errors.
type PromptForm struct {
	Prompt      string
	Model       string
	AspectRatio string
	Size        string
	Count       string
	Seed        string
	Errors      Errors
}

// CredentialsForm is the sign-in and setup form.
type CredentialsForm struct {
	Name   string
	Errors Errors
}
