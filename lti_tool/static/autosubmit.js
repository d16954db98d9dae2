/* Posts the form named by the script's data-form at once (deep-linking return, the demo platform's launch). */
document.getElementById(document.currentScript.dataset.form).submit();
